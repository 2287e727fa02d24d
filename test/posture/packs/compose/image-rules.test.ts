import { describe, expect, it } from 'vitest';
import { findingsOf, hits } from './compose-audit';

const DIGEST = 'sha256:' + 'a'.repeat(64);

describe('CMP-22 untagged or latest image', () => {
  it('flags untagged images, :latest (also from a variable default) and other moving tags', async () => {
    const text = `services:
  a:
    image: nginx
  b:
    image: ghcr.io/acme/app:latest
  c:
    image: registry.example.com:5000/team/app
  d:
    image: app:\${TAG:-latest}
  e:
    image: app:stable
  f:
    image: \${REGISTRY}/team/app
`;
    expect(await hits(text, 'CMP-22')).toEqual(['CMP-22[a]@3', 'CMP-22[b]@5', 'CMP-22[c]@7', 'CMP-22[d]@9', 'CMP-22[e]@11', 'CMP-22[f]@13']);
  });
  it('passes version tags, digests, images from undefined variables and build-only services', async () => {
    const text = `services:
  a:
    image: postgres:16.4-bookworm
  b:
    image: nginx@${DIGEST}
  c:
    image: \${APP_IMAGE}
  d:
    build: ./app
  e:
    image: registry.example.com:5000/team/app:1.2.3
`;
    expect(await hits(text, 'CMP-22')).toEqual([]);
  });
});

describe('CMP-23 image not pinned by digest or from an unlisted registry', () => {
  it('flags missing or malformed digests and unlisted registries', async () => {
    const text = `services:
  a:
    image: postgres:16.4
  b:
    image: app:1.0@sha256:abc
  c:
    image: evil.example.net/app:1.0@${DIGEST}
`;
    expect(await hits(text, 'CMP-23')).toEqual(['CMP-23[a]@3', 'CMP-23[b]@5', 'CMP-23[c]@7']);
    expect((await findingsOf(text, 'CMP-23'))[2].message).toMatch(/^service 'c' pulls image "evil\.example\.net\/app:1\.0@sha256:a+\.\.\." from registry evil\.example\.net, which is not on the allow-list$/);
  });
  it('passes digest-pinned images from allow-listed registries', async () => {
    const text = `services:
  a:
    image: postgres:16.4@${DIGEST}
  b:
    image: ghcr.io/acme/app:1.0@${DIGEST}
  c:
    image: docker.io/library/redis:7.2@${DIGEST}
`;
    expect(await hits(text, 'CMP-23')).toEqual([]);
  });
});
