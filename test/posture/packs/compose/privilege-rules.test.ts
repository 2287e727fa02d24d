import { describe, expect, it } from 'vitest';
import { COMPOSE_PACK } from '../../../../lib/posture/packs/compose';
import { findingsOf, hits } from './compose-audit';

describe('CMP-01 privileged service', () => {
  const noncompliant = `services:
  api:
    image: app:1.0
    privileged: true
  gpu:
    image: trainer:2.1
    privileged: yes
`;
  it('flags privileged: true, including the YAML 1.1 spelling yes', async () => {
    expect(await hits(noncompliant, 'CMP-01')).toEqual(['CMP-01[api]@4', 'CMP-01[gpu]@7']);
    const [first] = await findingsOf(noncompliant, 'CMP-01');
    expect([first.severity, first.level, first.message]).toEqual(['critical', 'error', "service 'api' sets privileged: true"]);
  });
  it('passes privileged: false and a GPU reservation', async () => {
    const compliant = `services:
  web:
    image: web:1.0
    privileged: false
  trainer:
    image: trainer:2.1
    deploy:
      resources:
        reservations:
          devices:
            - driver: nvidia
              count: 1
              capabilities: [gpu]
`;
    expect(await hits(compliant, 'CMP-01')).toEqual([]);
  });
  it('cannot be acknowledged', () => {
    expect(COMPOSE_PACK.rules.filter((r) => r.unsuppressible).map((r) => r.id)).toEqual(['CMP-01', 'CMP-02', 'CMP-24']);
  });
});

describe('CMP-07 no-new-privileges', () => {
  it('accepts every spelling docker accepts', async () => {
    const compliant = `services:
  a:
    image: a:1
    security_opt: [no-new-privileges]
  b:
    image: b:1
    security_opt:
      - no-new-privileges=true
  c:
    image: c:1
    security_opt: ["no-new-privileges:true"]
`;
    expect(await hits(compliant, 'CMP-07')).toEqual([]);
  });
  it('flags :false, a missing security_opt and a security_opt without it', async () => {
    const noncompliant = `services:
  d:
    image: d:1
    security_opt:
      - label=type:svirt_apache_t
      - no-new-privileges:false
  e:
    image: e:1
  f:
    image: f:1
    security_opt: ["seccomp=/profiles/x.json"]
`;
    expect(await hits(noncompliant, 'CMP-07')).toEqual(['CMP-07[d]@6', 'CMP-07[e]@7', 'CMP-07[f]@11']);
  });
});

describe('CMP-08 cap_drop ALL', () => {
  it('passes ALL in any case or with the CAP_ prefix', async () => {
    const compliant = `services:
  a:
    image: a:1
    cap_drop: [ALL]
  b:
    image: b:1
    cap_drop: [cap_all]
`;
    expect(await hits(compliant, 'CMP-08')).toEqual([]);
  });
  it('flags a partial cap_drop and a missing one', async () => {
    const noncompliant = `services:
  c:
    image: c:1
    cap_drop: [NET_RAW, MKNOD]
  d:
    image: d:1
`;
    expect(await hits(noncompliant, 'CMP-08')).toEqual(['CMP-08[c]@4', 'CMP-08[d]@5']);
  });
});

describe('CMP-09 cap_add allow-list per role', () => {
  const text = `services:
  proxy:
    image: traefik:v3.1
    cap_add: [NET_BIND_SERVICE]
  vault:
    image: hashicorp/vault:1.17
    cap_add: [IPC_LOCK]
  api:
    image: app:1.0
    cap_add:
      - NET_BIND_SERVICE
      - CAP_SYS_ADMIN
      - chown
      - IPC_LOCK
      - SYS_TIME
  gw:
    image: ghcr.io/acme/gateway:2.0
    x-mlsec: { role: edge-gateway }
    cap_add: [NET_BIND_SERVICE, NET_RAW]
`;
  it('allows NET_BIND_SERVICE for the proxy (by image or x-mlsec.role) and IPC_LOCK for Vault only', async () => {
    expect(await hits(text, 'CMP-09')).toEqual([
      'CMP-09[api/NET_BIND_SERVICE]@11',
      'CMP-09[api/SYS_ADMIN]@12',
      'CMP-09[api/CHOWN]@13',
      'CMP-09[api/IPC_LOCK]@14',
      'CMP-09[api/SYS_TIME]@15',
      'CMP-09[gw/NET_RAW]@19',
    ]);
  });
  it('rates isolation-breaking capabilities critical and image-setup ones medium', async () => {
    const severities = (await findingsOf(text, 'CMP-09')).map((f) => `${f.granularId}:${f.severity}`);
    expect(severities).toEqual([
      'CMP-09[api/NET_BIND_SERVICE]:high',
      'CMP-09[api/SYS_ADMIN]:critical',
      'CMP-09[api/CHOWN]:medium',
      'CMP-09[api/IPC_LOCK]:high',
      'CMP-09[api/SYS_TIME]:high',
      'CMP-09[gw/NET_RAW]:critical',
    ]);
  });
  it('lets an explicit x-mlsec.role override the image heuristic', async () => {
    const compliant = `services:
  edge:
    image: nginx:1.27
    cap_add: [NET_BIND_SERVICE]
`;
    const noncompliant = `services:
  llm:
    image: nginx:1.27
    x-mlsec:
      role: llm-gateway
    cap_add: [NET_BIND_SERVICE]
`;
    expect(await hits(compliant, 'CMP-09')).toEqual([]);
    expect(await hits(noncompliant, 'CMP-09')).toEqual(['CMP-09[llm/NET_BIND_SERVICE]@6']);
  });
});

describe('CMP-10 confinement disabled', () => {
  it('flags seccomp, apparmor, label and systempaths in both : and = spellings', async () => {
    const noncompliant = `services:
  a:
    image: a:1
    security_opt:
      - seccomp:unconfined
      - apparmor=unconfined
      - label:disable
      - systempaths=unconfined
      - seccomp=unconfined
`;
    expect(await hits(noncompliant, 'CMP-10')).toEqual(['CMP-10[a]@5', 'CMP-10[a]@6', 'CMP-10[a]@7', 'CMP-10[a]@8', 'CMP-10[a]@9']);
  });
  it('passes custom profiles and SELinux levels', async () => {
    const compliant = `services:
  b:
    image: b:1
    security_opt:
      - seccomp=/etc/docker/seccomp.json
      - apparmor:docker-default
      - label=level:s0:c100,c200
      - no-new-privileges:true
`;
    expect(await hits(compliant, 'CMP-10')).toEqual([]);
  });
});
