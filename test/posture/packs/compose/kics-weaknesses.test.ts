import { describe, expect, it } from 'vitest';
import { auditCompose, findingsOf, hits } from './compose-audit';

/** Where RULES.md §1 says KICS, the best public compose checker, is weak: each case by name. */
describe('beats KICS where RULES.md §1 says it is weak', () => {
  describe('version-gated resource checks', () => {
    const unlimited = (version: string) => `${version}services:
  api:
    image: app:1
    pids_limit: -1
`;
    it('checks memory, CPU and pids limits in a Compose Spec file with no version: key', async () => {
      const findings = await auditCompose(unlimited(''));
      expect(['CMP-17', 'CMP-18', 'CMP-19'].flatMap((id) => findings.filter((f) => f.ruleId === id).map((f) => `${f.granularId}@${f.line}`))).toEqual([
        'CMP-17[api]@2',
        'CMP-18[api]@2',
        'CMP-19[api]@4',
      ]);
    });
    it('checks pids_limit under version 3 too (KICS only checks it below version 3)', async () => {
      expect(await hits(unlimited('version: "3.8"\n'), 'CMP-19')).toEqual(['CMP-19[api]@5']);
      expect(await hits(unlimited('version: "2.4"\n'), 'CMP-19')).toEqual(['CMP-19[api]@5']);
    });
    it('accepts mem_limit or deploy.resources.limits.memory, cpus or limits.cpus, pids_limit or limits.pids, and treats -1/0 as unlimited', async () => {
      const text = `services:
  a:
    image: a:1
    mem_limit: 256m
    cpus: 0.5
    pids_limit: 64
  b:
    image: b:1
    deploy:
      resources:
        limits: { memory: 256M, cpus: "0.5", pids: 64 }
  c:
    image: c:1
    deploy:
      resources:
        limits: { memory: 0, cpus: "0", pids: 0 }
`;
      const findings = await auditCompose(text);
      expect(findings.filter((f) => ['CMP-17', 'CMP-18', 'CMP-19'].includes(f.ruleId)).map((f) => `${f.granularId}@${f.line}`)).toEqual([
        'CMP-17[c]@16',
        'CMP-18[c]@16',
        'CMP-19[c]@16',
      ]);
    });
  });

  describe('0.0.0.0 passes the interface-binding check', () => {
    it('flags 0.0.0.0, ::, [::] and no host IP, and passes [::1] and 127.0.0.1', async () => {
      const text = `services:
  api:
    image: app:1
    ports:
      - "0.0.0.0:8080:80"
      - "[::]:8081:80"
      - ":::8082:80"
      - "8083:80"
      - "[::1]:8084:80"
      - "127.0.0.1:8085:80"
      - target: 80
        host_ip: "::"
        published: 8086
`;
      expect(await hits(text, 'CMP-14')).toEqual(['CMP-14[api]@5', 'CMP-14[api]@6', 'CMP-14[api]@7', 'CMP-14[api]@8', 'CMP-14[api]@11']);
    });
  });

  describe('the docker-socket check only parses short-syntax strings', () => {
    it('flags long-syntax source: /var/run/docker.sock and containerd/podman sockets under /run', async () => {
      const text = `services:
  a:
    image: a:1
    volumes:
      - type: bind
        source: /var/run/docker.sock
        target: /var/run/docker.sock
        read_only: true
      - source: /run/containerd/containerd.sock
        target: /run/containerd/containerd.sock
        type: bind
      - /run/podman/podman.sock:/run/podman/podman.sock
`;
      expect(await hits(text, 'CMP-02')).toEqual(['CMP-02[a]@5', 'CMP-02[a]@9', 'CMP-02[a]@12']);
    });
  });

  describe('the sensitive-dir check matches by prefix', () => {
    it('does not flag /var/lib/app-data or /run/secrets, and does flag /etc/ssl under /etc', async () => {
      const text = `services:
  a:
    image: a:1
    volumes:
      - /var/lib/app-data:/data
      - /run/secrets:/run/secrets:ro
      - /varnish:/cache
      - /etc/ssl:/etc/ssl:ro
      - type: bind
        source: /var/lib/docker/volumes
        target: /volumes
`;
      expect(await hits(text, 'CMP-03')).toEqual(['CMP-03[a]@8', 'CMP-03[a]@9']);
    });
  });

  describe('exact-string matching of security_opt', () => {
    it('accepts no-new-privileges, no-new-privileges:true and no-new-privileges=true, and flags no-new-privileges:false', async () => {
      const text = `services:
  a:
    image: a:1
    security_opt: [no-new-privileges]
  b:
    image: b:1
    security_opt: ["no-new-privileges:true"]
  c:
    image: c:1
    security_opt: ["no-new-privileges=true"]
  d:
    image: d:1
    security_opt: ["no-new-privileges:false"]
`;
      expect(await hits(text, 'CMP-07')).toEqual(['CMP-07[d]@13']);
    });
    it('flags seccomp, apparmor and label unconfinement in both : and = spellings', async () => {
      const text = `services:
  a:
    image: a:1
    security_opt: ["seccomp=unconfined", "seccomp:unconfined", "apparmor=unconfined", "apparmor:unconfined", "label=disable", "label:disable"]
`;
      expect(await hits(text, 'CMP-10')).toEqual(Array(6).fill('CMP-10[a]@4'));
    });
  });

  describe('checks KICS does not have at all', () => {
    it('covers read_only, user, :latest/digest, cap_drop ALL, uts/cgroup host, devices, sysctls, apparmor/label and secrets in environment', async () => {
      const text = `services:
  a:
    image: app:latest
    user: root
    cap_drop: [NET_RAW]
    uts: host
    cgroup: host
    devices: ["/dev/mem:/dev/mem"]
    sysctls: { kernel.core_pattern: "|/tmp/x" }
    security_opt: ["apparmor:unconfined", "label:disable"]
    environment: { OPENAI_API_KEY: not-a-real-key }
`;
      const ids = new Set((await auditCompose(text)).map((f) => f.ruleId));
      for (const id of ['CMP-13', 'CMP-11', 'CMP-22', 'CMP-23', 'CMP-08', 'CMP-06', 'CMP-26', 'CMP-29', 'CMP-10', 'CMP-24']) expect(ids, id).toContain(id);
    });
  });

  describe('secrets in environment versus secrets:', () => {
    it('detects secrets by name and by value in map and KEY=value list syntax, passes *_FILE files, rates ${VAR} medium', async () => {
      const text = `services:
  a:
    image: a:1
    environment:
      DB_PASSWORD: hunter2
      UPSTREAM: AKIAIOSFODNN7EXAMPLE
      DB_PASSWORD_FILE: /run/secrets/db-password
      API_TOKEN: \${API_TOKEN}
  b:
    image: b:1
    environment:
      - MINIO_ROOT_PASSWORD=minio123
      - SIGNING=-----BEGIN OPENSSH PRIVATE KEY-----b3BlbnNzaC1rZXk
      - MINIO_ROOT_PASSWORD_FILE=/run/secrets/minio
      - VAULT_TOKEN=\${VAULT_TOKEN:?set it}
`;
      const found = (await findingsOf(text, 'CMP-24')).map((f) => `${f.granularId}@${f.line}:${f.severity}`);
      expect(found).toEqual([
        'CMP-24[a/DB_PASSWORD]@5:critical',
        'CMP-24[a/UPSTREAM]@6:critical',
        'CMP-24[a/API_TOKEN]@8:medium',
        'CMP-24[b/MINIO_ROOT_PASSWORD]@12:critical',
        'CMP-24[b/SIGNING]@13:critical',
        'CMP-24[b/VAULT_TOKEN]@15:medium',
      ]);
    });
  });

  describe('noisy checks', () => {
    it('accepts any bounded on-failure, not only exactly 5', async () => {
      const text = `services:
  a:
    image: a:1
    restart: on-failure:3
  b:
    image: b:1
    restart: on-failure:10
`;
      expect(await hits(text, 'CMP-21')).toEqual([]);
    });
    it('does not flag privileged container ports behind an unprivileged host port', async () => {
      const text = `services:
  a:
    image: a:1
    ports: ["127.0.0.1:8080:80"]
`;
      expect(await hits(text, 'CMP-16')).toEqual([]);
    });
    it('reports a missing healthcheck as info only (the image may define HEALTHCHECK)', async () => {
      const [finding] = await findingsOf('services:\n  a:\n    image: a:1\n', 'CMP-20');
      expect([finding.severity, finding.level]).toEqual(['low', 'info']);
    });
  });

  describe('YAML 1.1 reads an unquoted 22:22 as the number 1342', () => {
    it('reports the misread port mapping with what the author wrote, and does not crash', async () => {
      const text = `services:
  ssh:
    image: a:1
    ports:
      - 22:22
      - 80:80
`;
      const findings = await auditCompose(text);
      expect(findings.filter((f) => f.ruleId === 'CMP-14').map((f) => `${f.granularId}@${f.line}`)).toEqual(['CMP-14[ssh]@5', 'CMP-14[ssh]@6']);
      expect(findings.find((f) => f.ruleId === 'CMP-14')?.message).toContain('YAML 1.1 reads the unquoted 22:22 as the number 1342');
      expect(findings.filter((f) => f.ruleId === 'CMP-16').map((f) => `${f.granularId}@${f.line}`)).toEqual(['CMP-16[ssh]@5', 'CMP-16[ssh]@6']);
    });
  });
});
