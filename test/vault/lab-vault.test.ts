/**
 * The reference lab's Vault side, checked as a whole: every HCL file reparses with HashiCorp's
 * parser to exactly what the constructs meant, every agent template reads only paths its
 * workload's policy allows, and no workload's policy reaches another workload's secret.
 */
import { parse } from '@cdktf/hcl2json';
import { describe, expect, it } from 'vitest';
import { createLab } from '../../apps/lab';
import { anyPatternMatches, App, Testing, VaultServer, VpsFile } from '../../lib';

function lab(): { app: App; vault: VaultServer } {
  const app = Testing.app();
  createLab(app);
  const vault = app.node.findAll().find((c): c is VaultServer => c instanceof VaultServer)!;
  return { app, vault };
}

/** Paths and capabilities of a rendered policy, from its HCL parse. */
async function rulesOf(text: string): Promise<Map<string, string[]>> {
  const data = (await parse('policy.hcl', text)) as { path?: Record<string, { capabilities: string[] }[]> };
  return new Map(Object.entries(data.path ?? {}).map(([p, [body]]) => [p, body.capabilities]));
}

describe("the reference lab's Vault files", () => {
  it('reparse with HashiCorp HCL to exactly the data the constructs meant', async () => {
    const { app } = lab();
    Testing.synth(app);
    const files = app.node.findAll().filter((c): c is VpsFile => c instanceof VpsFile && c.path.endsWith('.hcl'));
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const file of files) {
      const [doc] = file.renderDocuments();
      expect(doc.data, doc.path).toBeDefined();
      expect(await parse(doc.path, doc.content), doc.path).toEqual(doc.data);
    }
  });

  it('lets every agent template read only what its workload policy allows', async () => {
    const { app, vault } = lab();
    const assembly = Testing.synth(app);
    expect([...vault.grantHolders.keys()].sort()).toEqual(['airflow-api-server', 'airflow-broker', 'airflow-dag-processor', 'airflow-db', 'airflow-db-migrate', 'airflow-scheduler', 'airflow-worker-curation', 'airflow-worker-training', 'backup-shipper', 'batch-fraud-score', 'curated-backup', 'curated-db', 'data-broker', 'feature-api', 'feature-store', 'gateway', 'grafana', 'identity-db', 'ingest-transactions', 'keycloak', 'lake', 'lake-bootstrap', 'llm-gateway', 'llm-waf', 'loki', 'mlflow', 'model-server-fetch', 'model-store', 'model-store-bootstrap', 'opa', 'otel-collector', 'prometheus', 'promote-transactions', 'registry-db', 'registry-gate', 'scan-service', 'scored-api', 'scored-db', 'sso-auth', 'sso-grafana', 'sso-mlflow', 'waf']);
    for (const [name] of vault.grantHolders) {
      const rules = await rulesOf(assembly.file(`lab/vault/policies/${name}.hcl`));
      const templates = assembly.paths().filter((p) => p.startsWith(`lab/vault/agent/${name}/`) && p.endsWith('.ctmpl'));
      expect(templates.length, name).toBeGreaterThan(0);
      for (const t of templates) {
        const read = [...assembly.file(t).matchAll(/with (?:secret|pkiCert) "([^"]+)"/g)].map((m) => m[1]);
        expect(read.length, t).toBeGreaterThan(0);
        for (const p of read) {
          // KV and database reads need read; issuing a certificate is an update.
          const needed = p.startsWith('pki_int/issue/') ? 'update' : 'read';
          const allowing = [...rules].filter(([pattern, caps]) => anyPatternMatches([pattern], p) && caps.includes(needed));
          expect(allowing.length, `${t} reads ${p}`).toBeGreaterThan(0);
        }
      }
    }
  });

  it("keeps every workload's policy away from every other workload's secrets", async () => {
    const { app, vault } = lab();
    const assembly = Testing.synth(app);
    const policies = new Map<string, Map<string, string[]>>();
    for (const [name] of vault.grantHolders) policies.set(name, await rulesOf(assembly.file(`lab/vault/policies/${name}.hcl`)));
    // The designed exceptions: MinIO's bootstrap job is the server's administrator (it shares the
    // root keys) and creates the users, so it reads their MinIO keys (and nothing else of theirs).
    const allowed = new Set([
      'backup-shipper -> lake-bootstrap:kv/data/lab/core/backup-shipper/lake',
      'lake -> lake-bootstrap:kv/data/lab/core/lake/root',
      'lake-bootstrap -> backup-shipper:kv/data/lab/core/backup-shipper/lake',
      'ingest-transactions -> lake-bootstrap:kv/data/lab/core/ingest-transactions/lake',
      'lake-bootstrap -> ingest-transactions:kv/data/lab/core/ingest-transactions/lake',
      'promote-transactions -> lake-bootstrap:kv/data/lab/core/promote-transactions/lake',
      'lake-bootstrap -> promote-transactions:kv/data/lab/core/promote-transactions/lake',
      'lake-bootstrap -> lake:kv/data/lab/core/lake/root',
      'airflow-worker-curation -> lake-bootstrap:kv/data/lab/core/airflow-worker-curation/lake',
      'lake-bootstrap -> airflow-worker-curation:kv/data/lab/core/airflow-worker-curation/lake',
      'model-store -> model-store-bootstrap:kv/data/lab/core/model-store/root',
      'model-store-bootstrap -> model-store:kv/data/lab/core/model-store/root',
      'mlflow -> model-store-bootstrap:kv/data/lab/core/mlflow/model-store',
      'model-store-bootstrap -> mlflow:kv/data/lab/core/mlflow/model-store',
      // Airflow's task-token key: the scheduler signs each task's token, the API server checks it.
      'airflow-api-server -> airflow-scheduler:kv/data/lab/core/airflow/jwt',
      'airflow-scheduler -> airflow-api-server:kv/data/lab/core/airflow/jwt',
      // An OIDC client secret is held by the IdP (it imports it) and by that one client.
      ...['sso-auth', 'sso-mlflow', 'sso-grafana', 'grafana'].flatMap((c) => [`keycloak -> ${c}:kv/data/lab/core/${c}/client`, `${c} -> keycloak:kv/data/lab/core/${c}/client`]),
    ]);
    const reached: string[] = [];
    for (const [a, rulesA] of policies) {
      for (const [b, rulesB] of policies) {
        if (a === b) continue;
        for (const path of rulesB.keys()) if (anyPatternMatches([...rulesA.keys()], path)) reached.push(`${a} -> ${b}:${path}`);
      }
    }
    expect(reached.filter((r) => !allowed.has(r))).toEqual([]);
    expect(reached.sort()).toEqual([...allowed].sort());
  });

  it('gives each agent one AppRole login, a wrapped secret ID, and nothing written to disk but its templates', () => {
    const { app } = lab();
    const assembly = Testing.synth(app);
    const agent = assembly.file('lab/vault/agent/curated-backup/agent.hcl');
    expect(agent).toMatchSnapshot();
    expect(agent).toContain('secret_id_response_wrapping_path = "auth/approle/role/curated-backup/secret-id"');
    expect(agent).not.toMatch(/sink "file"/); // no Transit grant: the token never leaves the agent
    expect(agent.match(/perms = "0400"/g)?.length).toBe(3); // client certificate, libpq service file, .ready
  });
});
