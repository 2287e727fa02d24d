import { describe, expect, it } from 'vitest';
import { findingsOf, hits } from './compose-audit';

describe('CMP-11 root user', () => {
  const noncompliant = `services:
  a:
    image: a:1
    user: root
  b:
    image: b:1
    user: "0"
  c:
    image: c:1
    user: 0:0
  d:
    image: d:1
    user: "0:1000"
  e:
    image: e:1
    user: root:root
  g:
    image: g:1
    user: 0
`;
  it('flags root, 0, 0:* and root:*, whether a string or a number', async () => {
    expect(await hits(noncompliant, 'CMP-11')).toEqual(['CMP-11[a]@4', 'CMP-11[b]@7', 'CMP-11[c]@10', 'CMP-11[d]@13', 'CMP-11[e]@16', 'CMP-11[g]@19']);
  });
  it('explains the YAML 1.1 misread of an unquoted 0:0', async () => {
    const c = (await findingsOf(noncompliant, 'CMP-11')).find((f) => f.granularId === 'CMP-11[c]');
    expect(c?.message).toBe('service \'c\' runs as root with user "0:0" (YAML 1.1 reads the unquoted 0:0 as the number 0; quote it)');
  });
  it('passes a non-root uid:gid', async () => {
    const compliant = `services:
  f:
    image: f:1
    user: "10001:10001"
  h:
    image: h:1
`;
    expect(await hits(compliant, 'CMP-11')).toEqual([]);
  });
});

describe('CMP-12 implicit user', () => {
  const noncompliant = `services:
  a:
    image: a:1
  b:
    image: b:1
    user: postgres
  c:
    image: c:1
    user: 1000
  d:
    image: d:1
    user: "1000:0"
  e:
    image: e:1
    user: 33:33
  g:
    image: g:1
    user: ""
`;
  it('flags an unset or blank user (medium) and names, missing or root groups and misreads (low)', async () => {
    const found = (await findingsOf(noncompliant, 'CMP-12')).map((f) => `${f.granularId}@${f.line}:${f.severity}`);
    expect(found).toEqual(['CMP-12[a]@2:medium', 'CMP-12[b]@6:low', 'CMP-12[c]@9:low', 'CMP-12[d]@12:low', 'CMP-12[e]@15:low', 'CMP-12[g]@18:medium']);
  });
  it('passes an explicit non-root uid:gid, and cannot judge one from undefined variables', async () => {
    const compliant = `services:
  f:
    image: f:1
    user: "10001:10001"
  h:
    image: h:1
    user: \${APP_UID}:\${APP_GID}
  root:
    image: r:1
    user: root
`;
    expect(await hits(compliant, 'CMP-12')).toEqual([]);
  });
});
