import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { ComposeTemplate, HealthCheck, Image, Match, SecretSource, SecurityProfile, synthesize, Testing, VpsFile, Workload, Zone } from '../../lib';
import { dockerComposeConfig } from '../support/docker-compose';
import { labApp, simpleWorkload } from '../support/fixtures';

function templateOf(app: ReturnType<typeof labApp>['app']): ComposeTemplate {
  return ComposeTemplate.fromAssembly(Testing.synth(app), 'lab');
}

describe('Workload hardened defaults', () => {
  it('renders a minimal workload with every control on', () => {
    const { app, vps } = labApp();
    simpleWorkload(vps, 'api');
    const assembly = Testing.synth(app);
    const text = assembly.file('lab/docker-compose.yml');
    expect(text.slice(text.indexOf('services:'))).toMatchSnapshot();
    const compose = ComposeTemplate.fromAssembly(assembly, 'lab');
    compose.hasService('api', Match.objectEquals({
      image: 'nginxinc/nginx-unprivileged:1.27.1',
      user: '10001:10001',
      read_only: true,
      cap_drop: ['ALL'],
      security_opt: ['no-new-privileges:true'],
      tmpfs: ['/tmp:rw,noexec,nosuid,size=64m'],
      expose: ['8080'],
      network_mode: 'none',
      healthcheck: { test: ['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8080/'], interval: '30s', timeout: '5s', retries: 3, start_period: '10s' },
      restart: 'on-failure:5',
      pids_limit: 128,
      deploy: { resources: { limits: { cpus: '0.5', memory: '256M' } } },
      logging: { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } },
      labels: { 'mlsec.zone': 'z3' },
      'x-mlsec': { construct: 'lab/api', zone: 'z3' },
    }));
    expect(dockerComposeConfig(text).status).toBe(0);
  });

  it('requires a health check unless one is waived with a reason', () => {
    const { app, vps } = labApp();
    new Workload(vps, 'job', { zone: Zone.Z4_FACTORY, image: Image.fromRegistry('python', '3.12.5-slim') });
    expect(() => Testing.synth(app)).toThrow(/\[lab\/job\] prop 'healthCheck' is required/);
    (vps.node.findChild('job') as Workload).noHealthCheck('one-shot batch job; exits when done');
    templateOf(app).hasService('job', Match.objectLike({ healthcheck: Match.absent() }));
  });
});

describe('SecurityProfile', () => {
  it('is inherited from the nearest scope, field by field, and explicit props win', () => {
    const { app, vps } = labApp();
    SecurityProfile.of(vps).apply({ resources: { memoryMiB: 128 }, logMaxFiles: 5 });
    const zone = new Construct(vps, 'serving');
    SecurityProfile.of(zone).apply({ resources: { cpus: 0.25 } });
    simpleWorkload(vps, 'outside');
    simpleWorkload(zone as any, 'inside');
    new Workload(zone, 'explicit', {
      zone: Zone.Z6_SERVING, image: Image.fromRegistry('nginx', '1.27.1'), resources: { memoryMiB: 64 },
      healthCheck: HealthCheck.command(['true']),
    });
    const compose = templateOf(app);
    compose.hasService('outside', Match.objectLike({ deploy: { resources: { limits: { cpus: '0.5', memory: '128M' } } }, logging: Match.objectLike({ options: { 'max-size': '10m', 'max-file': '5' } }) }));
    compose.hasService('inside', Match.objectLike({ deploy: { resources: { limits: { cpus: '0.25', memory: '128M' } } } }));
    compose.hasService('explicit', Match.objectLike({ deploy: { resources: { limits: { cpus: '0.25', memory: '64M' } } } }));
  });

  it('rejects a profile that would lift a control, naming each workload it reaches', () => {
    const { app, vps } = labApp();
    SecurityProfile.of(vps).apply({ user: '0:0', restartMaxRetries: -1 });
    simpleWorkload(vps, 'api');
    expect(() => Testing.synth(app)).toThrow(/\[lab\/api\] prop 'user' must be a numeric non-root "uid:gid"[\s\S]*\[lab\/api\] prop 'restartMaxRetries' must be an integer from 0 to 100/);
  });
});

describe('flows and networks', () => {
  it('joins only the zone-pair networks of declared flows and derives depends_on', () => {
    const { app, vps } = labApp();
    const db = simpleWorkload(vps, 'db', Zone.Z3_CURATED, [5432]);
    const cache = new Workload(vps, 'cache', { zone: Zone.Z3_CURATED, image: Image.fromRegistry('redis', '7.2.5'), ports: [6379] });
    cache.noHealthCheck('exercise the service_started branch of depends_on');
    const curation = simpleWorkload(vps, 'curation', Zone.Z3_CURATED);
    const api = simpleWorkload(vps, 'api', Zone.Z6_SERVING);
    simpleWorkload(vps, 'loner', Zone.Z9_OBSERVABILITY);
    curation.connections.allowTo(db, { port: 5432 });
    api.connections.allowTo(cache, { port: 6379 });
    db.connections.allowFrom(api, { port: 5432, startsAfter: false });

    const compose = templateOf(app);
    compose.hasService('curation', Match.objectLike({ networks: ['z3'], depends_on: { db: { condition: 'service_healthy' } } }));
    compose.hasService('db', Match.objectLike({ networks: ['z3', 'z3-z6'], depends_on: Match.absent() }));
    compose.hasService('api', Match.objectLike({ networks: ['z3-z6'], depends_on: { cache: { condition: 'service_started' } } }));
    compose.hasService('loner', Match.objectLike({ networks: Match.absent(), network_mode: 'none' }));
    expect(compose.toJSON().networks).toEqual({ z3: { internal: true }, 'z3-z6': { internal: true } });
    compose.allServices(Match.objectLike({ ports: Match.absent() }));
  });

  it('prints a start-order cycle as construct paths', () => {
    const { app, vps } = labApp();
    const a = simpleWorkload(vps, 'a');
    const b = simpleWorkload(vps, 'b');
    const c = simpleWorkload(vps, 'c');
    a.connections.allowTo(b, { port: 8080 });
    b.connections.allowTo(c, { port: 8080 });
    c.connections.allowTo(a, { port: 8080 });
    expect(() => Testing.synth(app)).toThrow(/start-order cycle through declared flows: lab\/a -> lab\/b -> lab\/c -> lab\/a; pass \{ startsAfter: false \}/);
  });

  it('rejects flows to a port the server does not listen on, to itself, or across hosts', () => {
    const { app, vps } = labApp();
    const a = simpleWorkload(vps, 'a');
    a.connections.allowTo(simpleWorkload(vps, 'b'), { port: 5432 });
    a.connections.allowTo(a, { port: 8080 });
    const { vps: other } = labApp();
    a.connections.allowTo(simpleWorkload(other, 'elsewhere'), { port: 8080 });
    expect(() => Testing.synth(app)).toThrow(/prop 'port' must be a port 'lab\/b' listens on \(8080\), got 5432[\s\S]*to itself is not allowed/);
    expect(() => synthesize(app)).toThrow(/crosses hosts|must stay inside one Vps/);
  });
});

describe('overrides with reasons', () => {
  it('records each lifted control in x-mlsec.overrides next to its effect', () => {
    const { app, vps } = labApp();
    const gw = simpleWorkload(vps, 'gateway', Zone.Z1_INGESTION, [8443]);
    gw.addCapability('NET_BIND_SERVICE', 'binds 443 inside the container');
    gw.allowWritableRootFilesystem('vendor image writes its cache under /var/cache');
    gw.runAsRoot('image entrypoint drops to an unprivileged user itself');
    gw.publishPort({ hostIp: '127.0.0.1', hostPort: 8443, containerPort: 8443, reason: 'local admin access over SSH tunnel' });
    templateOf(app).hasService('gateway', Match.objectLike({
      cap_add: ['NET_BIND_SERVICE'],
      read_only: false,
      user: '0:0',
      ports: ['127.0.0.1:8443:8443/tcp'],
      'x-mlsec': Match.objectLike({
        overrides: [
          { control: 'cap_add', setting: 'NET_BIND_SERVICE', reason: 'binds 443 inside the container' },
          { control: 'read_only', setting: 'false', reason: 'vendor image writes its cache under /var/cache' },
          { control: 'user', setting: '0:0', reason: 'image entrypoint drops to an unprivileged user itself' },
          { control: 'ports', setting: '127.0.0.1:8443->8443/tcp', reason: 'local admin access over SSH tunnel' },
        ],
      }),
    }));
  });

  it('refuses a reason that is not one, an unbound publish, and capabilities equal to privileged', () => {
    const { app, vps } = labApp();
    const w = simpleWorkload(vps, 'api');
    w.allowWritableRootFilesystem('because');
    w.publishPort({ hostIp: '0.0.0.0', hostPort: 80, containerPort: 8080, reason: 'public web traffic' });
    w.addCapability('SYS_ADMIN', 'mount filesystems');
    w.addCapability('CAP_NET_RAW', 'ping targets');
    const message = (() => { try { Testing.synth(app); return ''; } catch (e) { return (e as Error).message; } })();
    expect(message).toMatch(/\[lab\/api\] prop 'allowWritableRootFilesystem\(reason\) reason' needs a reason of at least 10 characters/);
    expect(message).toMatch(/\[lab\/api\] prop 'publishPort.hostIp' must be a specific IPv4 host address/);
    expect(message).toMatch(/\[lab\/api\] prop 'addCapability' SYS_ADMIN is equivalent to privileged mode/);
    expect(message).toMatch(/\[lab\/api\] prop 'addCapability' "CAP_NET_RAW" is not a Linux capability name/);
  });
});

describe('secrets and files', () => {
  it('mounts secrets as files announced by *_FILE variables, referencing the operator folder outside synth-out', () => {
    const { app, vps } = labApp();
    const w = simpleWorkload(vps, 'api');
    w.addSecret(SecretSource.bootstrapFile('db-password'), { envVar: 'DB_PASSWORD_FILE' });
    simpleWorkload(vps, 'other').addSecret(SecretSource.bootstrapFile('db-password'), { envVar: 'PGPASSFILE' });
    const compose = templateOf(app);
    compose.hasService('api', Match.objectLike({
      environment: { DB_PASSWORD_FILE: '/run/secrets/db-password' },
      secrets: [{ source: 'api.db-password', target: 'db-password' }],
    }));
    compose.hasService('other', Match.objectLike({
      environment: { PGPASSFILE: '/run/secrets/db-password' },
      secrets: [{ source: 'other.db-password', target: 'db-password' }],
    }));
    // One file per consumer, so the bootstrap can hand each to its container's user.
    compose.hasSecret('api.db-password', Match.objectEquals({ file: '../../secrets/lab/deliver/api/db-password' }));
    compose.hasSecret('other.db-password', Match.objectEquals({ file: '../../secrets/lab/deliver/other/db-password' }));
  });

  it('rejects literal secrets in the environment', () => {
    const { app, vps } = labApp();
    for (const name of ['DB_PASSWORD', 'OPENAI_API_KEY', 'hf_token', 'CLIENT_SECRET', 'AWS_SECRET_ACCESS_KEY', 'PGPASS']) {
      simpleWorkload(vps, `w-${name.toLowerCase().replace(/_/g, '-')}`).addEnvironment(name, 'hunter2-literal');
    }
    const message = (() => { try { Testing.synth(app); return ''; } catch (e) { return (e as Error).message; } })();
    for (const name of ['DB_PASSWORD', 'OPENAI_API_KEY', 'hf_token', 'CLIENT_SECRET', 'AWS_SECRET_ACCESS_KEY', 'PGPASS']) {
      expect(message).toContain(`prop 'environment.${name}' looks like a secret`);
    }
    expect(message).not.toContain('hunter2');
  });

  it('emits synthesized files and binds them read-only', () => {
    const { app, vps } = labApp();
    const settings = new VpsFile(vps, 'Settings', { path: 'api/settings.json', content: () => '{"log":"json"}\n' });
    simpleWorkload(vps, 'api').mountFile(settings, '/etc/api/settings.json');
    const assembly = Testing.synth(app);
    expect(assembly.file('lab/api/settings.json')).toBe('{"log":"json"}\n');
    ComposeTemplate.fromAssembly(assembly, 'lab').hasService('api', Match.objectLike({
      volumes: [{ type: 'bind', source: './api/settings.json', target: '/etc/api/settings.json', read_only: true }],
    }));
  });
});
