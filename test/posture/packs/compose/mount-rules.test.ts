import { describe, expect, it } from 'vitest';
import { findingsOf, hits } from './compose-audit';

describe('CMP-02 container-runtime socket', () => {
  const text = `services:
  a:
    image: a:1
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
  b:
    image: b:1
    volumes:
      - type: bind
        source: /run/containerd/containerd.sock
        target: /run/containerd/containerd.sock
  c:
    image: c:1
    volumes:
      - /run/user/1000/podman/podman.sock:/var/run/docker.sock:ro
  socket-proxy:
    image: tecnativa/docker-socket-proxy:0.2.0
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock:ro
  dockerproxy:
    image: tecnativa/docker-socket-proxy:0.2.0
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
  d:
    image: d:1
    volumes:
      - dockersock:/var/run/docker.sock
  e:
    image: e:1
    volumes: ["/var/run:/host-run:ro"]
volumes:
  dockersock:
    driver: local
    driver_opts: { type: none, o: bind, device: /var/run/docker.sock }
`;
  it('flags short, long, rootless, read-only, volume-backed and directory mounts of the socket', async () => {
    expect(await hits(text, 'CMP-02')).toEqual(['CMP-02[a]@5', 'CMP-02[b]@9', 'CMP-02[c]@15', 'CMP-02[dockerproxy]@23', 'CMP-02[d]@27', 'CMP-02[e]@30']);
  });
  it('names a directory that holds the socket as such', async () => {
    const found = (await findingsOf(text, 'CMP-02')).find((f) => f.granularId === 'CMP-02[e]');
    expect(found?.message).toBe('service \'e\' mounts the directory "/var/run", which holds the container-runtime socket');
  });
  it('lets only a dedicated socket proxy mount it, read-only', async () => {
    const compliant = `services:
  socket-proxy:
    image: tecnativa/docker-socket-proxy:0.2.0
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock:ro
  traefik:
    image: traefik:v3.1
    environment:
      DOCKER_HOST: tcp://socket-proxy:2375
`;
    expect(await hits(compliant, 'CMP-02')).toEqual([]);
  });
  it('does not exempt a service merely named like a socket proxy', async () => {
    const text = `services:
  socket-proxy:
    image: alpine:3.20
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock:ro
`;
    expect(await hits(text, 'CMP-02')).toEqual(['CMP-02[socket-proxy]@5']);
  });
  it('is not double-reported as a sensitive /run mount', async () => {
    expect(await hits(text, 'CMP-03')).toEqual([]);
  });
});

describe('CMP-03 sensitive host paths', () => {
  const text = `services:
  a:
    image: a:1
    volumes:
      - /etc/ssl:/etc/ssl
      - /var/lib/app-data:/data
      - /run/secrets/x:/run/secrets/x:ro
      - /var/lib/docker:/var/lib/docker:ro
      - /:/host:ro
      - ./config:/config:ro
      - ~/.aws:/home/app/.aws:ro
      - /proc:/host/proc
      - /var/lib/dockerfiles:/x
      - /etcetera:/y
      - /lib64:/lib64:ro
      - /usr/../etc/shadow:/shadow:ro
  b:
    image: b:1
    volumes:
      - type: bind
        source: /home/alice
        target: /data
        read_only: true
`;
  it('matches by path segment: writable high, read-only medium', async () => {
    const found = (await findingsOf(text, 'CMP-03')).map((f) => `${f.granularId}@${f.line}:${f.severity}`);
    expect(found).toEqual([
      'CMP-03[a]@5:high',
      'CMP-03[a]@8:medium',
      'CMP-03[a]@9:medium',
      'CMP-03[a]@11:medium',
      'CMP-03[a]@12:high',
      'CMP-03[a]@15:medium',
      'CMP-03[a]@16:medium',
      'CMP-03[b]@20:medium',
    ]);
  });
  it('reads ~ and \${HOME} as a home directory', async () => {
    const text = `services:
  a:
    image: a:1
    volumes:
      - \${HOME}/.ssh:/home/app/.ssh:ro
      - ~:/host-home
      - \${DATA_DIR}/app:/data
`;
    expect(await hits(text, 'CMP-03')).toEqual(['CMP-03[a]@5', 'CMP-03[a]@6']);
  });
  it('names the directory the path is under', async () => {
    const [first] = await findingsOf(text, 'CMP-03');
    expect(first.message).toBe('service \'a\' bind-mounts host path "/etc/ssl" (under /etc) read-write');
  });
  it('passes data directories, relative paths, named volumes and /run/secrets', async () => {
    const compliant = `services:
  a:
    image: a:1
    volumes:
      - /var/lib/app-data:/data
      - /srv/models:/models:ro
      - ./config:/config:ro
      - data:/var/lib/data
      - /run/secrets:/run/secrets:ro
volumes:
  data: {}
`;
    expect(await hits(compliant, 'CMP-03')).toEqual([]);
  });
});

describe('CMP-13 writable root filesystem', () => {
  const text = `services:
  a:
    image: a:1
  b:
    image: b:1
    read_only: false
  edge:
    image: app:1
    ports: ["8080:80"]
  c:
    image: c:1
    read_only: true
  d:
    image: d:1
    read_only: true
    ports: ["8080:80"]
`;
  it('flags a missing or false read_only, high when the service faces the internet', async () => {
    const found = (await findingsOf(text, 'CMP-13')).map((f) => `${f.granularId}@${f.line}:${f.severity}`);
    expect(found).toEqual(['CMP-13[a]@2:medium', 'CMP-13[b]@6:medium', 'CMP-13[edge]@7:high']);
  });
});

describe('CMP-27 mount propagation', () => {
  it('flags shared and slave propagation in short and long syntax', async () => {
    const text = `services:
  a:
    image: a:1
    volumes:
      - /srv/data:/data:rshared
      - type: bind
        source: /srv/mnt
        target: /mnt
        bind:
          propagation: rslave
`;
    expect(await hits(text, 'CMP-27')).toEqual(['CMP-27[a]@5', 'CMP-27[a]@10']);
  });
  it('passes private propagation and the default', async () => {
    const text = `services:
  a:
    image: a:1
    volumes:
      - /srv/data:/data:rprivate
      - type: bind
        source: /srv/mnt
        target: /mnt
        bind:
          propagation: private
      - /srv/plain:/plain
`;
    expect(await hits(text, 'CMP-27')).toEqual([]);
  });
});

describe('CMP-30 writable volume shared by several services', () => {
  it('flags a named volume two services write, and volumes_from without :ro', async () => {
    const text = `services:
  a:
    image: a:1
    volumes: ["shared:/data"]
  b:
    image: b:1
    volumes:
      - type: volume
        source: shared
        target: /data
  c:
    image: c:1
    volumes: ["cache:/cache"]
  d:
    image: d:1
    volumes_from: [c]
volumes:
  shared: {}
  cache: {}
`;
    expect(await hits(text, 'CMP-30')).toEqual(['CMP-30[shared]@18', 'CMP-30[cache]@19']);
  });
  it('passes one writer with read-only readers (fetch-verify then serve)', async () => {
    const text = `services:
  model-fetch:
    image: fetch:1
    volumes: ["models:/models"]
  model-server:
    image: server:1
    volumes:
      - type: volume
        source: models
        target: /models
        read_only: true
  sidecar:
    image: s:1
    volumes_from: ["model-server:ro"]
volumes:
  models: {}
`;
    expect(await hits(text, 'CMP-30')).toEqual([]);
  });
});
