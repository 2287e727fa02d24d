import { describe, expect, it } from 'vitest';
import { createLab } from '../../apps/lab';
import { App, MlsecError, Posture, PostureError, Testing, ValidationError, Workload } from '../../lib';
import { labApp, simpleWorkload } from '../support/fixtures';
import { ExtraDocument } from './mutation-producer';

function lab() {
  const app = Testing.app();
  const vps = createLab(app);
  const find = (id: string) => vps.node.findAll().find((c): c is Workload => Workload.isWorkload(c) && c.node.id === id)!;
  return { app, vps, find };
}

function failure(app: App): Error {
  try {
    Testing.synth(app);
  } catch (e) {
    return e as Error;
  }
  throw new Error('synth succeeded, but it should have failed');
}

describe('posture phase in synth', () => {
  it('writes a report for the reference lab, which has no unacknowledged error finding', () => {
    const report = JSON.parse(Testing.synth(lab().app).file('lab/posture/report.json'));
    const blocking = report.findings.filter((f: any) => f.level === 'error' && !f.acknowledged);
    expect(blocking).toEqual([]);
    for (const f of report.findings.filter((x: any) => x.acknowledged)) expect(f.acknowledged.reason.length).toBeGreaterThanOrEqual(10);
  });

  it('fails synth on an unacknowledged error with rule id, construct path, file:line and remediation', () => {
    const { app, find } = lab();
    find('curated-db').publishPort({ hostIp: '127.0.0.1', hostPort: 5432, containerPort: 5432, reason: 'debugging from the host shell' });
    const error = failure(app);
    expect(error).toBeInstanceOf(PostureError);
    expect(error.message).toMatch(/ZONE-02\[curated-db\] \[lab\/Z3\/curated-db\] lab\/docker-compose\.yml:\d+:\d+ services\.curated-db\.ports: service 'curated-db' publishes host ports but is not the edge gateway\n {4}fix: Remove `ports:`/);
  });

  it('accepts an acknowledged finding from an ancestor and echoes who accepted it and why', () => {
    const { app, vps, find } = lab();
    find('curated-db').publishPort({ hostIp: '127.0.0.1', hostPort: 5432, containerPort: 5432, reason: 'debugging from the host shell' });
    Posture.of(vps).acknowledge('ZONE-02[curated-db]', 'temporary: migration tooling on the host, removed after cut-over');
    const report = JSON.parse(Testing.synth(app).file('lab/posture/report.json'));
    expect(report.findings.find((f: any) => f.ruleId === 'ZONE-02').acknowledged).toEqual({
      selector: 'ZONE-02[curated-db]',
      reason: 'temporary: migration tooling on the host, removed after cut-over',
      by: 'lab',
    });
  });

  it('refuses acknowledgements without a real reason or with a malformed selector, naming the construct', () => {
    const { vps } = labApp();
    expect(() => Posture.of(vps).acknowledge('ZONE-02', 'because')).toThrow(/\[lab\] prop 'acknowledge.reason' needs a reason of at least 10 characters/);
    expect(() => Posture.of(vps).acknowledge('everything', 'a long enough reason')).toThrow(/\[lab\] prop 'acknowledge.selector' must be a rule id/);
    expect(() => Posture.of(vps).acknowledge('ZONE-02', 'a long enough reason')).not.toThrow();
  });

  it('fails on an acknowledgement that matches no finding', () => {
    const { app, find } = lab();
    Posture.of(find('model-server')).acknowledge('ZONE-02', 'nothing here publishes, so this is stale');
    const error = failure(app);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toMatch(/\[lab\/Z6\/model-server\] acknowledgement 'ZONE-02' matches no finding at or below this construct; remove it/);
  });

  it('never lets an acknowledgement silence an unsuppressible rule', () => {
    const { app, vps } = labApp();
    simpleWorkload(vps, 'api').addEnvironment('DB_PASSWORD_FILE', '/etc/app/db-password');
    Posture.of(vps).acknowledge('ZONE-11', 'we really want to keep this one here');
    const error = failure(app);
    expect(error.message).toMatch(/\[lab\] acknowledgement 'ZONE-11' targets ZONE-11, which cannot be acknowledged: fix lab\/docker-compose\.yml:\d+ instead/);
  });

  it('surfaces a rule that tries to change the documents it audits as a library error', async () => {
    const { evaluateRules, PostureModel, SourceDocument } = await import('../../lib');
    const doc = SourceDocument.parseYaml('compose', 'c.yml', 'services: { a: { image: x } }');
    const mutating = { id: 'ZONE-99', title: 't', severity: 'low', level: 'info', priority: 'P3', rationale: 'r', remediation: 'r', controls: {}, kinds: ['compose'], check: (m: any) => { m.documents[0].data.services.a.image = 'y'; return []; } } as any;
    expect(() => evaluateRules(new PostureModel([doc]), [mutating])).toThrow(MlsecError);
    expect(() => evaluateRules(new PostureModel([doc]), [mutating])).toThrow(/posture rule ZONE-99 failed/);
  });
});

describe('mutated lab fails synth with the expected rule', () => {
  it('privileged service: CMP-01, refused before the posture phase', () => {
    const { app, find } = lab();
    find('model-server').service.addOverride('privileged', true);
    expect(failure(app).message).toMatch(/\[lab\/Z6\/model-server\/Service\] CMP-01: 'privileged: true' is never allowed/);
  });

  it('published database port: ZONE-02', () => {
    const { app, find } = lab();
    find('feature-store').publishPort({ hostIp: '127.0.0.1', hostPort: 6379, containerPort: 6379, reason: 'redis-cli from the host' });
    expect((failure(app) as PostureError).findings.map((f) => f.granularId)).toContain('ZONE-02[feature-store]');
  });

  it('public router without a rate limit: ZONE-14', () => {
    const { app, vps } = lab();
    new ExtraDocument(vps, 'Routes', {
      path: 'traefik/dynamic/routes.yml',
      kind: 'traefik-dynamic',
      content: [
        'http:',
        '  routers:',
        '    inference:',
        '      rule: "Host(`api.lab.example.com`) && PathPrefix(`/v2`)"',
        '      entryPoints: [websecure]',
        '      middlewares: [headers, body, inflight, auth]',
        '      service: model',
        '      tls: {}',
        '  middlewares:',
        '    headers: { headers: { stsSeconds: 31536000, stsIncludeSubdomains: true, contentTypeNosniff: true, frameDeny: true, referrerPolicy: no-referrer } }',
        '    body: { buffering: { maxRequestBodyBytes: 1048576 } }',
        '    inflight: { inFlightReq: { amount: 20 } }',
        '    auth: { forwardAuth: { address: "https://oauth2-proxy:4180/oauth2/auth", authResponseHeaders: [X-Auth-Request-User] } }',
        '  services:',
        '    model: { loadBalancer: { servers: [{ url: "https://model-server:8080" }] } }',
        'tls:',
        '  options:',
        '    default: { minVersion: VersionTLS12, sniStrict: true }',
        '',
      ].join('\n'),
    });
    const ids = (failure(app) as PostureError).findings.map((f) => f.granularId);
    expect(ids).toContain('ZONE-14[inference]');
  });
});

describe('mutated lab fails synth on the other artifact families', () => {
  it('wildcard redirect URI in a realm: KC-01', () => {
    const { app, vps } = lab();
    const realm = { realm: 'lab-prod', sslRequired: 'all', clients: [{ clientId: 'grafana', standardFlowEnabled: true, redirectUris: ['*'], attributes: { 'pkce.code.challenge.method': 'S256' } }] };
    new ExtraDocument(vps, 'Realm', { path: 'keycloak/realm-lab-prod.json', kind: 'keycloak-realm', content: JSON.stringify(realm, null, 2) + '\n' });
    const ids = (failure(app) as PostureError).findings.map((f) => f.granularId);
    expect(ids).toContain('KC-01[grafana]');
  });

  it('root glob in an application policy: VLT-14', () => {
    const { app, vps } = lab();
    const content = 'path "*" {\n  capabilities = ["read", "list"]\n}\n';
    const data = { path: { '*': [{ capabilities: ['read', 'list'] }] } };
    new ExtraDocument(vps, 'Policy', { path: 'vault/policies/model-server.hcl', kind: 'vault-policy', content, data });
    const error = failure(app) as PostureError;
    const hit = error.findings.find((f) => f.ruleId === 'VLT-14');
    expect(hit).toMatchObject({ file: 'lab/vault/policies/model-server.hcl', line: 2 });
  });
});

describe('positions recorded while writing', () => {
  it('locate every finding exactly where parsing the written file does', async () => {
    const { evaluateRules, PostureModel, RuleCatalog, SourceDocument } = await import('../../lib');
    const { app, find } = lab();
    find('model-server').allowWritableRootFilesystem('vendor image writes its cache at runtime');
    find('feature-store').addEnvironment('GREETING', 'cost: $5');
    const assembly = Testing.synth(app);
    // The compose file's findings (the lab's Traefik, Vault and Keycloak files have their own).
    const fromSynth = JSON.parse(assembly.file('lab/posture/report.json')).findings.filter((f: any) => f.file === 'lab/docker-compose.yml').map((f: any) => `${f.granularId}@${f.line}:${f.column}`);
    const parsed = SourceDocument.parseYaml('compose', 'lab/docker-compose.yml', assembly.file('lab/docker-compose.yml'));
    const fromParse = evaluateRules(new PostureModel([parsed]), RuleCatalog.rules()).map((f) => `${f.granularId}@${f.line}:${f.column}`);
    expect(fromSynth.length).toBeGreaterThan(0);
    expect(fromSynth).toEqual(fromParse);
  });

  it('locate the findings of every audited file (Traefik, realm, policies too) where parsing all written files does', async () => {
    const { DOCUMENT_KINDS, DocumentProducers, evaluateRules, PostureModel, RuleCatalog, SourceDocument } = await import('../../lib');
    const { app, vps } = lab();
    const assembly = Testing.synth(app);
    const audited = vps.node.findAll().filter(DocumentProducers.isProducer).flatMap((p) => p.renderDocuments())
      .filter((d) => (DOCUMENT_KINDS as readonly string[]).includes(d.kind ?? ''));
    expect(new Set(audited.map((d) => d.kind)).size).toBe(DOCUMENT_KINDS.length);
    const parsed = await Promise.all(audited.map((d) => SourceDocument.parse(d.kind as any, d.path, assembly.file(d.path))));
    const at = (f: { file: string; granularId: string; line: number; column: number }) => `${f.file} ${f.granularId}@${f.line}:${f.column}`;
    const fromSynth = JSON.parse(assembly.file('lab/posture/report.json')).findings.map(at).sort();
    const fromParse = evaluateRules(new PostureModel(parsed), RuleCatalog.rules()).map(at).sort();
    expect(new Set(fromSynth.map((f: string) => f.split(' ')[0])).size).toBeGreaterThan(3);
    expect(fromSynth).toEqual(fromParse);
  });
});
