import { describe, expect, it } from 'vitest';
import { evaluateRules, PostureModel, SourceDocument } from '../../../../lib';
import { COMPOSE_PACK } from '../../../../lib/posture/packs/compose';
import { auditCompose } from './compose-audit';

/** Odd but parseable compose texts: null sections, wrong types, prototype-named keys, anchors. */
const ODD_TEXTS: readonly string[] = [
  '',
  'hello',
  '- a\n- b\n',
  'services:\n',
  'services: []\n',
  'services: "api"\n',
  'services:\n  a:\n  b: []\n  c: str\n  d: 5\n  x-ext: { privileged: true }\n',
  `services:
  api:
    image: 5
    user: []
    privileged: [true]
    ports: "8080:80"
    volumes: { a: 1 }
    environment: "X=1"
    security_opt: { a: 1 }
    cap_add: SYS_ADMIN
    cap_drop: 5
    healthcheck: []
    deploy: x
    networks: "front"
    network_mode: 5
    build: 5
    secrets: x
    sysctls: 5
    devices: {}
    restart: 5
    depends_on: [a]
    volumes_from: 5
    x-mlsec: 5
    labels: 7
`,
  `services:
  api:
    image: ""
    ports: [null, [], {}, true, 1.5, -3, "", ":", "[", "[::1", "a:b:c", "1-2-3:4"]
    volumes: [null, 5, {}, { source: 5 }, { type: bind }, { type: volume, source: "" }, ":", "::", "~"]
    environment: [1, null, { a: 1 }, "=", "=x", "KEY="]
    security_opt: [null, 5, ":", "="]
    cap_add: [null, 5, {}]
    cap_drop: [null]
    user: {}
    healthcheck: { test: 5, disable: "maybe" }
    deploy: { resources: [], restart_policy: 5 }
    networks: [null, 5, {}]
    secrets: [null, 5, { source: 7 }]
    sysctls: [5, null, "=1"]
    devices: [null, 5, {}, ":"]
    device_cgroup_rules: 5
    mem_limit: [1]
    pids_limit: "lots"
    cpus: null
    command: { a: 1 }
    entrypoint: 5
    build: { context: [], args: 5 }
    read_only: "sometimes"
    restart: "on-failure:x"
secrets: []
volumes: "x"
networks: [1]
`,
  `services:
  __proto__:
    image: a:1
  constructor:
    image: b:1
    volumes: ["hasOwnProperty:/data", "__proto__:/x", "constructor:/y"]
    networks: [constructor, __proto__]
    secrets: [toString]
volumes:
  constructor: { driver_opts: { device: 5, o: bind } }
networks:
  constructor: 5
secrets:
  toString: 5
`,
  `x-base: &base
  image: app:1
  privileged: true
services:
  a:
    <<: *base
    user: "10001:10001"
  b: *base
`,
];

describe('robustness: odd documents never crash a compose rule', () => {
  it.each(ODD_TEXTS.map((t, i) => [i, t] as const))('odd text #%i is audited without an exception', async (_i, text) => {
    await expect(auditCompose(text)).resolves.toBeInstanceOf(Array);
  });

  it('resolves anchors and merge keys before judging, and locates the merged key', async () => {
    const findings = await auditCompose(ODD_TEXTS[ODD_TEXTS.length - 1]);
    expect(findings.filter((f) => f.ruleId === 'CMP-01').map((f) => f.granularId)).toEqual(['CMP-01[a]', 'CMP-01[b]']);
  });

  it('survives randomly shaped data in every compose field', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
    const scalars = [null, undefined, true, false, 0, -1, 1.5, NaN, Infinity, '', 'host', 'ALL', '0:0', '/var/run/docker.sock:/x', '8080:80', 'root', 'x=y', '${A}', '__proto__'];
    const value = (depth: number): unknown => {
      const r = random();
      if (depth > 2 || r < 0.5) return pick(scalars);
      if (r < 0.75) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, () => [pick(KEYS), value(depth + 1)]));
    };
    const KEYS = ['image', 'user', 'privileged', 'ports', 'volumes', 'environment', 'security_opt', 'cap_add', 'cap_drop', 'healthcheck', 'deploy', 'resources', 'limits',
      'networks', 'network_mode', 'build', 'secrets', 'sysctls', 'devices', 'restart', 'depends_on', 'volumes_from', 'x-mlsec', 'source', 'target', 'host_ip', 'published',
      'read_only', 'pid', 'ipc', 'internal', 'external', 'file', 'content', 'driver_opts', 'test', 'disable', 'condition', 'role', 'bind', 'propagation', 'memory', 'pids'];
    for (let i = 0; i < 300; i++) {
      const service = Object.fromEntries(KEYS.filter(() => random() < 0.4).map((k) => [k, value(0)]));
      const data = { services: { [pick(['a', 'b', '__proto__'])]: service, other: value(0) }, volumes: value(0), networks: value(0), secrets: value(0) };
      const document = SourceDocument.fromHcl('compose', 'random.yml', '', data);
      expect(() => evaluateRules(new PostureModel([document]), COMPOSE_PACK.rules), JSON.stringify(data)).not.toThrow();
    }
  });
});
