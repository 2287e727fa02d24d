/**
 * RegistryGate: the compose service, its clients' grants (flows per listener, tokens, CA), and
 * the generated Benthos config — asserted control by control next to its snapshot, then through
 * `benthos lint` (Benthos 4.27.0 built by tools/install-benthos.sh). Its behaviour against a real
 * MLflow is in registry-gate.real.test.ts.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { Testing, Zone } from '../../../lib';
import { ALIAS_REQUIRES, LIFECYCLE_TRANSITIONS, REQUIRED_VERSION_TAGS, SERVING_ALIASES } from '../../../lib/services/mlflow';
import { RegistryGate, REGISTRY_GATE_PUBLISHER_PORT, REGISTRY_GATE_READER_PORT, REGISTRY_GATE_TOKEN_VARIABLES } from '../../../lib/services/registry-gate';
import { lintBenthos } from '../../support/real-servers/benthos';
import { consumerWorkload } from '../support';
import { factoryHost } from '../mlflow/support';
import { gateHost } from './support';

const GATE = 'registry-gate';

function build(h = gateHost()) {
  const assembly = Testing.synth(h.app);
  const configText = assembly.file(`lab/${GATE}/benthos.yaml`);
  const compose = parse(assembly.file('lab/docker-compose.yml'));
  return { ...h, assembly, configText, config: parse(configText), compose, svc: compose.services[GATE] };
}

const b = build();
const inputs = (config: any) => config.input.broker.inputs as any[];
const processors = (config: any) => config.pipeline.processors as any[];
/** Every `http` processor in the pipeline (the branch's lookup and the three forwards). */
function httpCalls(config: any): any[] {
  const out: any[] = [];
  const walk = (x: unknown) => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object') {
      for (const [k, v] of Object.entries(x)) {
        if (k === 'http' && v && typeof v === 'object' && 'url' in v) out.push(v);
        else walk(v);
      }
    }
  };
  walk(config.pipeline);
  return out;
}

describe('RegistryGate: the compose service', () => {
  it('is a hardened Z5 Benthos service with two listeners (and 4195, metrics), exposed only to its networks, reading its token digests from an env file its own agent renders', () => {
    const svc = b.svc;
    expect(svc['x-mlsec'].zone).toBe('z5');
    expect(svc.image).toBe('jeffail/benthos:4.27.0');
    expect(svc.expose).toEqual([String(REGISTRY_GATE_READER_PORT), String(REGISTRY_GATE_PUBLISHER_PORT), '4195']);
    expect(svc.ports).toBeUndefined();
    expect(svc.read_only).toBe(true);
    expect(svc.cap_drop).toEqual(['ALL']);
    expect(svc.user).toBe('10001:10001');
    expect(svc.command).toEqual(['--env-file', '/run/vault/registry-gate-tokens.env', '-c', '/etc/benthos/benthos.yaml']);
    // Nothing secret from the bootstrap: the CA bundle only.
    expect(svc.secrets).toEqual([{ source: 'registry-gate.ca.crt', target: 'ca.crt' }]);
    // Its only flow is to the registry, with its own Vault-issued client certificate.
    expect(svc['x-mlsec'].flows).toEqual([{ to: 'mlflow', port: 5000 }]);
    expect(svc.environment).toMatchObject({ MLFLOW_TRACKING_URI: 'https://mlflow:5000', MLSEC_MLFLOW_CLIENT_CERT_FILE: '/run/vault/vault-tls.crt', MLSEC_MLFLOW_CLIENT_KEY_FILE: '/run/vault/vault-tls.key' });
    const role = JSON.parse(b.assembly.file(`lab/vault/pki/${GATE}.json`));
    expect(role).toMatchObject({ allowed_domains: [GATE], server_flag: true, client_flag: true });
  });

  it('gives each client a flow to its class\'s listener only, the CA and its own token file rendered by its agent; nothing secret is in synth-out', () => {
    expect(b.compose.services.fetcher['x-mlsec'].flows).toEqual([{ to: GATE, port: REGISTRY_GATE_READER_PORT }]);
    expect(b.compose.services.promoter['x-mlsec'].flows).toEqual([{ to: GATE, port: REGISTRY_GATE_PUBLISHER_PORT }]);
    expect(b.compose.services.fetcher.environment).toEqual({
      MLSEC_REGISTRY_GATE_URL: 'https://registry-gate:8443', MLSEC_REGISTRY_GATE_CA_FILE: '/run/secrets/ca.crt', MLSEC_REGISTRY_GATE_TOKEN_FILE: '/run/vault/registry-gate-token',
    });
    expect(b.compose.services.promoter.environment.MLSEC_REGISTRY_GATE_URL).toBe('https://registry-gate:8444');
    expect(b.compose.services.promoter.environment.MLSEC_REGISTRY_GATE_TOKEN_FILE).toBe('/run/vault/registry-gate-token');
    expect(b.compose.services.fetcher.secrets).toEqual([{ source: 'fetcher.ca.crt', target: 'ca.crt' }]);
    expect(b.assembly.file('lab/vault/agent/fetcher/registry-gate-token.ctmpl')).toBe('{{- with secret "kv/data/lab/core/fetcher/registry-gate" -}}{{ .Data.data.token }}{{- end -}}\n');
    // Neither the fetcher nor the promoter may reach MLflow itself.
    expect(b.compose.services.fetcher['x-mlsec'].flows.some((f: { to: string }) => f.to === 'mlflow')).toBe(false);
    for (const p of b.assembly.paths()) expect(b.assembly.file(p), p).not.toMatch(/MLSEC_REGISTRY_GATE_(READERS|PUBLISHERS)=[a-z0-9-]+=[0-9a-f]{64}/);
  });

  it('seeds each token into KV twice: the token for its client only, its SHA-256 for the gate only', () => {
    const rules = (w: any) => b.vault.policyOf(w)!.ruleList.map((r: { path: string }) => r.path);
    expect(rules(b.fetcher)).toEqual(['kv/data/lab/core/fetcher/registry-gate']);
    expect(rules(b.promoter)).toEqual(['kv/data/lab/core/promoter/registry-gate']);
    expect(rules(b.gate)).toEqual(expect.arrayContaining(['kv/data/lab/core/registry-gate/token-fetcher', 'kv/data/lab/core/registry-gate/token-promoter']));
    expect(rules(b.gate).filter((r: string) => r.startsWith('kv/'))).toEqual(['kv/data/lab/core/registry-gate/token-fetcher', 'kv/data/lab/core/registry-gate/token-promoter']);
    const bootstrap = b.assembly.file('lab/vault/bootstrap.sh');
    for (const line of [
      'kv put -mount=kv lab/core/fetcher/registry-gate token=@"$S/seed-registry-gate-reader-fetcher" >/dev/null',
      'kv put -mount=kv lab/core/promoter/registry-gate token=@"$S/seed-registry-gate-publisher-promoter" >/dev/null',
      'kv put -mount=kv lab/core/registry-gate/token-fetcher sha256=@"$S/seed-registry-gate-reader-fetcher.sha256" >/dev/null',
      'kv put -mount=kv lab/core/registry-gate/token-promoter sha256=@"$S/seed-registry-gate-publisher-promoter.sha256" >/dev/null',
    ]) expect(bootstrap).toContain(line);
    // The gate's agent renders one line per class, each digest from its own path.
    expect(b.assembly.file('lab/vault/agent/registry-gate/registry-gate-tokens.env.ctmpl')).toBe([
      'MLSEC_REGISTRY_GATE_READERS=fetcher={{ with secret "kv/data/lab/core/registry-gate/token-fetcher" }}{{ .Data.data.sha256 }}{{ end }}',
      'MLSEC_REGISTRY_GATE_PUBLISHERS=promoter={{ with secret "kv/data/lab/core/registry-gate/token-promoter" }}{{ .Data.data.sha256 }}{{ end }}',
      '',
    ].join('\n'));
  });
});

describe('RegistryGate: the Benthos config', () => {
  it('listens with TLS on 8443 (readers, GET only) and 8444 (publishers), sets each class after the request\'s own metadata, and rate limits both', () => {
    const [reader, publisher] = inputs(b.config);
    expect(reader.http_server).toMatchObject({ address: '0.0.0.0:8443', allowed_verbs: ['GET'], cert_file: '/run/vault/vault-tls.crt', key_file: '/run/vault/vault-tls.key', ws_path: '', rate_limit: 'gate' });
    expect(publisher.http_server).toMatchObject({ address: '0.0.0.0:8444', allowed_verbs: ['GET', 'POST', 'DELETE'], cert_file: '/run/vault/vault-tls.crt', rate_limit: 'gate' });
    expect(reader.processors).toEqual([{ mutation: 'meta gate_class = "reader"\nmeta gate_verb = "GET"' }]);
    expect(publisher.processors[0].mutation).toContain('meta gate_class = "publisher"');
    expect(b.config.rate_limit_resources).toEqual([{ label: 'gate', local: { count: 20, interval: '1s' } }]);
    // The answer: status and content type from the gate's own metadata; no request metadata echoed as headers.
    expect(reader.http_server.sync_response.metadata_headers).toBeUndefined();
    expect(reader.http_server.sync_response.headers).toEqual({ 'Content-Type': '${! @gate_content_type }', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    expect(b.config.output).toEqual({ sync_response: {} });
    // Benthos' own server: HTTPS metrics for Z9, with the gate's Vault certificate, no debug endpoints.
    expect(b.config.http).toEqual({ enabled: true, address: '0.0.0.0:4195', debug_endpoints: false, cert_file: '/run/vault/vault-tls.crt', key_file: '/run/vault/vault-tls.key' });
    expect(b.config.metrics).toEqual({ prometheus: {} });
  });

  it('calls only the registry, over mTLS with its own certificate, without retries, at a target the mapping rebuilt', () => {
    const calls = httpCalls(b.config);
    expect(calls.map((c) => c.verb)).toEqual(['GET', 'GET', 'POST', 'DELETE']);
    for (const c of calls) {
      expect(c.url).toMatch(/^https:\/\/mlflow:5000\/api\/2\.0\/\$\{! @gate_(lookup|target) \}$/);
      expect(c.tls).toEqual({ enabled: true, root_cas_file: '/run/secrets/ca.crt', client_certs: [{ cert_file: '/run/vault/vault-tls.crt', key_file: '/run/vault/vault-tls.key' }] });
      expect(c.retries).toBe(0);
      expect(c.metadata).toBeUndefined();
    }
  });

  it('authenticates by the SHA-256 of a bearer token per class, drops every client-set metadata key, and refuses transitions', () => {
    const mapping = processors(b.config)[0].mapping as string;
    expect(mapping).toContain(`env("${REGISTRY_GATE_TOKEN_VARIABLES.reader}")`);
    expect(mapping).toContain(`env("${REGISTRY_GATE_TOKEN_VARIABLES.publisher}")`);
    expect(mapping).toContain('$token.hash("sha256").encode("hex")');
    expect(mapping).toContain('"status": "401"');
    expect(mapping).toContain('@Cookie != null');
    expect(mapping).toContain('$path.has_suffix("/transition-stage")');
    expect(mapping).toContain('meta = deleted()');
    // Writes only on the lifecycle tag and the serving aliases; no delete-tag, no model or version delete.
    expect(mapping).toContain('$body.key == "lifecycle_state"');
    expect(mapping).toContain(`let aliases = ${JSON.stringify(SERVING_ALIASES)}`);
    expect(mapping).not.toMatch(/delete-tag|registered-models\/delete|model-versions\/delete|create/);
  });

  it('checks each lifecycle write against model-lifecycle.ts, from the version\'s current state', () => {
    const check = processors(b.config)[3].switch[0].processors[1].mutation as string;
    expect(check).toContain(JSON.stringify({ '(none)': ['Candidate'], ...LIFECYCLE_TRANSITIONS }));
    expect(check).toContain(JSON.stringify(ALIAS_REQUIRES));
    expect(processors(b.config)[3].switch[0].check).toBe('!errored() && @gate_lookup.or("") != "" && @gate_action != "deny"');
  });

  it('serializes the lifecycle writes on one model: a lock taken before the lookup, released after every outcome', () => {
    const all = processors(b.config);
    const mapping = all[0].mapping as string;
    // Every write (tag, alias set, alias delete) locks its model; no read does.
    expect(mapping.match(/"lock": \$body\.name\}/g)).toHaveLength(3);
    expect(mapping).toContain('meta gate_lock = $d.lock.or("")');
    // Taken before the lookup (all[3]), as an atomic add: a second writer is refused with 409 and nothing is looked up or forwarded.
    expect(all[2].switch).toEqual([{
      check: '!errored() && @gate_lock.or("") != ""',
      processors: [
        { cache: { resource: 'gate_locks', operator: 'add', key: 'lifecycle/${! @gate_lock }', value: '${! @gate_caller }' } },
        { catch: [{ mutation: expect.stringMatching(/meta gate_action = "deny"\nmeta gate_status = "409"\n.*\nmeta gate_lock = ""$/) }] },
      ],
    }]);
    expect(all[3].switch[0].check).toContain('@gate_action != "deny"');
    // Released after the forward and after the 502 catch, so every outcome releases it; a lost release expires.
    expect(all.at(-2).switch).toEqual([{ check: '@gate_lock.or("") != ""', processors: [{ cache: { resource: 'gate_locks', operator: 'delete', key: 'lifecycle/${! @gate_lock }' } }] }]);
    expect(b.config.cache_resources).toEqual([{ label: 'gate_locks', memory: { default_ttl: '2m', compaction_interval: '10s' } }]);
  });

  it('lets a version into the lifecycle, along it and under an alias only with the Z5-K01 tags; Approved also needs PASS and an approver who is not the creator', () => {
    const all = processors(b.config);
    const check = all[3].switch[0].processors[1].mutation as string;
    expect(check).toContain(`let missing = ${JSON.stringify(REQUIRED_VERSION_TAGS)}.filter(k -> !$present.contains(k))`);
    // Revoked and Quarantined are never held up by a missing tag.
    expect(check).toContain('let tagged = @gate_check == "alias" || (@gate_check == "transition" && ["Candidate", "Staging", "Approved"].contains(@gate_want))');
    expect(check).toContain('$tagged && $missing.length() > 0 => "the version lacks the required tags (Z5-K01): " + $missing.join(", ")');
    expect(check).toMatch(/@gate_want == "Approved" && \$tags\.filter\(t -> t\.key == "security_decision"\).* != "PASS" =>/);
    expect(check).toContain('($approver == "" || $approver == $tags.filter(t -> t.key == "created_by")');
    // The tags come from the same lookup as the state, after the lock is taken.
    expect(all[3].switch[0].processors[0].branch.result_map).toContain('meta gate_tags = if metadata("http_status_code") == 200 { this.model_version.tags.or([]).format_json(no_indent: true).string() } else { "[]" }');
    const h = factoryHost();
    const own = new RegistryGate(h.vps, GATE, { registry: h.mlflow, vault: h.vault, requiredTags: ['artifact_digest', 'cosign_sig'] });
    own.allowPublisher(consumerWorkload(h.vps, 'promoter', Zone.Z4_FACTORY));
    const custom = parse(Testing.synth(h.app).file(`lab/${GATE}/benthos.yaml`));
    expect(processors(custom)[3].switch[0].processors[1].mutation).toContain('let missing = ["artifact_digest","cosign_sig"].filter(');
  });

  it('serves an artifact only when a model version in a servable state holds it (Approved unless told otherwise)', () => {
    const mapping = processors(b.config)[0].mapping as string;
    expect(mapping).toContain('"check": "servable", "lookup": "mlflow/model-versions/search?max_results=200&filter="');
    const branch = processors(b.config)[3].switch[0].processors[0].branch;
    expect(branch.result_map).toContain('meta gate_servable = metadata("http_status_code") == 200 && this.model_versions.or([]).filter(v -> ["Approved"].contains(');
    expect(processors(b.config)[3].switch[0].processors[1].mutation).toContain('@gate_check == "servable" && @gate_servable != true');
    const nonProd = parse(Testing.synth(gateHost({ servableStates: ['Staging', 'Approved'] }).app).file(`lab/${GATE}/benthos.yaml`));
    expect(processors(nonProd)[3].switch[0].processors[0].branch.result_map).toContain('["Staging","Approved"].contains(');
  });

  it('refuses a request its mapping could not read, and forwards nothing from an errored message', () => {
    const all = processors(b.config);
    expect(all[1].catch[0].mapping).toContain('meta = deleted()');
    expect(all[1].catch[0].mapping).toContain('meta gate_action = "deny"');
    expect(all[4].switch.slice(0, 3).map((c: { check: string }) => c.check)).toEqual(['GET', 'POST', 'DELETE'].map((v) => `!errored() && @gate_action == "${v}"`));
    expect(all[4].switch[3]).toEqual({ processors: [{ mapping: expect.stringContaining('"error_code": if @gate_status == "409" { "RESOURCE_CONFLICT" } else { "PERMISSION_DENIED" }') }] });
  });

  it('answers a failed registry call with a 502 JSON error, never the request body, and logs each decision without the token', () => {
    const all = processors(b.config);
    expect(all.at(-3).catch[0].mapping).toContain('meta gate_status = "502"');
    expect(all.at(-1).log.fields_mapping).toBe('root = {"class": @gate_class, "caller": @gate_caller, "request": @gate_request, "action": @gate_action, "status": @gate_status, "reason": @gate_message}');
  });

  it('has no listener for a class without clients (fail closed)', () => {
    const h = factoryHost();
    const gate = new RegistryGate(h.vps, GATE, { registry: h.mlflow, vault: h.vault, requestsPerSecond: 5 });
    gate.allowReader(consumerWorkload(h.vps, 'fetcher', Zone.Z6_SERVING));
    const only = parse(Testing.synth(h.app).file(`lab/${GATE}/benthos.yaml`));
    expect(inputs(only).map((i) => i.http_server.address)).toEqual(['0.0.0.0:8443']);
    expect(only.rate_limit_resources[0].local.count).toBe(5);
  });

  it('passes benthos lint', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsec-registry-gate-'));
    try {
      fs.writeFileSync(path.join(dir, 'benthos.yaml'), b.configText);
      const r = lintBenthos(path.join(dir, 'benthos.yaml'));
      expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('matches its snapshot (every control asserted above)', () => {
    expect(b.configText).toMatchSnapshot();
  });
});

