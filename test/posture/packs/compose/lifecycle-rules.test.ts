import { describe, expect, it } from 'vitest';
import { hits } from './compose-audit';

describe('CMP-20 healthcheck', () => {
  it('flags a missing healthcheck and one disabled by disable: true or test: [NONE]', async () => {
    const text = `services:
  a:
    image: a:1
  b:
    image: b:1
    healthcheck:
      disable: true
  c:
    image: c:1
    healthcheck:
      test: ["NONE"]
`;
    expect(await hits(text, 'CMP-20')).toEqual(['CMP-20[a]@2', 'CMP-20[b]@7', 'CMP-20[c]@11']);
  });
  it('passes a healthcheck, and skips one-shot jobs others wait to complete', async () => {
    const text = `services:
  server:
    image: s:1
    depends_on:
      fetch:
        condition: service_completed_successfully
    healthcheck:
      test: ["CMD", "/bin/probe"]
      interval: 30s
  fetch:
    image: f:1
`;
    expect(await hits(text, 'CMP-20')).toEqual([]);
  });
});

describe('CMP-21 unbounded restart', () => {
  it('flags always without a healthcheck and on-failure without a maximum', async () => {
    const text = `services:
  a:
    image: a:1
    restart: always
  b:
    image: b:1
    restart: on-failure
  c:
    image: c:1
    restart: "on-failure:0"
  d:
    image: d:1
    deploy:
      restart_policy:
        condition: on-failure
`;
    expect(await hits(text, 'CMP-21')).toEqual(['CMP-21[a]@4', 'CMP-21[b]@7', 'CMP-21[c]@10', 'CMP-21[d]@14']);
  });
  it('passes any bound (not only exactly 5), and always with a healthcheck', async () => {
    const text = `services:
  a:
    image: a:1
    restart: on-failure:3
  b:
    image: b:1
    restart: unless-stopped
    healthcheck:
      test: ["CMD", "/bin/probe"]
  c:
    image: c:1
    restart: "no"
  d:
    image: d:1
    deploy:
      restart_policy:
        condition: on-failure
        max_attempts: 10
`;
    expect(await hits(text, 'CMP-21')).toEqual([]);
  });
});
