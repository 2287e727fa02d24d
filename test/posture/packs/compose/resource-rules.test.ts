import { describe, expect, it } from 'vitest';
import { hits } from './compose-audit';

const limited = `services:
  a:
    image: a:1
    mem_limit: 512m
    cpus: 0.5
    pids_limit: 128
  b:
    image: b:1
    deploy:
      resources:
        limits:
          memory: 256M
          cpus: "0.25"
          pids: 64
  c:
    image: c:1
    mem_limit: 1g
    cpu_quota: 50000
    pids_limit: 100
`;

describe('CMP-17 memory limit', () => {
  it('flags a missing limit and an unlimited 0/-1', async () => {
    const text = `services:
  a:
    image: a:1
  b:
    image: b:1
    mem_limit: 0
  c:
    image: c:1
    deploy:
      resources:
        limits:
          cpus: "0.5"
`;
    expect(await hits(text, 'CMP-17')).toEqual(['CMP-17[a]@2', 'CMP-17[b]@6', 'CMP-17[c]@11']);
  });
  it('passes mem_limit and deploy.resources.limits.memory', async () => {
    expect(await hits(limited, 'CMP-17')).toEqual([]);
  });
});

describe('CMP-18 CPU limit', () => {
  it('flags a missing limit and cpus: 0', async () => {
    const text = `services:
  a:
    image: a:1
  b:
    image: b:1
    cpus: 0
    cpu_shares: 512
`;
    expect(await hits(text, 'CMP-18')).toEqual(['CMP-18[a]@2', 'CMP-18[b]@6']);
  });
  it('passes cpus, limits.cpus and cpu_quota', async () => {
    expect(await hits(limited, 'CMP-18')).toEqual([]);
  });
});

describe('CMP-19 PID limit', () => {
  it('flags a missing limit, -1 and 0', async () => {
    const text = `services:
  a:
    image: a:1
  b:
    image: b:1
    pids_limit: -1
  c:
    image: c:1
    deploy:
      resources:
        limits:
          pids: 0
`;
    expect(await hits(text, 'CMP-19')).toEqual(['CMP-19[a]@2', 'CMP-19[b]@6', 'CMP-19[c]@12']);
  });
  it('passes pids_limit and limits.pids', async () => {
    expect(await hits(limited, 'CMP-19')).toEqual([]);
  });
});
