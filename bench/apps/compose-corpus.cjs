'use strict';
/**
 * Writes a corpus of N varied, hand-written-looking compose files for the `mlsec check` benchmark:
 * with and without `version:`, short and long port/volume syntax, anchors and `x-` extensions,
 * env files that do not exist, 1–6 services each; about one file in three is hardened, the rest
 * carry typical mistakes (privileged, :latest, runtime socket, literal secrets, 0.0.0.0 ports …).
 * Deterministic: file i is the same on every run.
 *
 * Usage: node bench/apps/compose-corpus.cjs <N> <dir>   (prints {"files","bytes"} as JSON)
 */
const fs = require('node:fs');
const path = require('node:path');

/** A small deterministic PRNG (mulberry32). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const IMAGES = ['nginx:1.27.2-alpine', 'postgres:15.8-bookworm', 'redis:7.2.5-bookworm', 'ghcr.io/example/api:2.3.1', 'minio/minio', 'grafana/grafana:latest', 'python:3.12-slim'];
const DIGEST = `@sha256:${'c0ffee00'.repeat(8)}`;

function hardened(name, i, r) {
  const lines = [
    `  ${name}:`,
    `    image: ghcr.io/example/${name}:1.${i % 10}.${Math.floor(r() * 20)}${DIGEST}`,
    '    read_only: true',
    '    cap_drop: [ALL]',
    '    security_opt: ["no-new-privileges:true"]',
    '    user: "10001:10001"',
    '    pids_limit: 128',
    '    deploy:',
    '      resources:',
    `        limits: { cpus: "0.5", memory: ${128 * (1 + (i % 4))}M }`,
    '    healthcheck:',
    `      test: ["CMD", "/app/healthcheck"]`,
    '    restart: on-failure:5',
    '    networks: [backend]',
    '    tmpfs: ["/tmp:rw,noexec,nosuid,size=64m"]',
  ];
  if (r() < 0.5) lines.push('    volumes:', '      - type: volume', `        source: ${name}-data`, '        target: /var/lib/app');
  return lines;
}

function sloppy(name, i, r, anchors) {
  const lines = [`  ${name}:`];
  if (anchors && r() < 0.6) lines.push('    <<: *defaults');
  lines.push(`    image: ${IMAGES[Math.floor(r() * IMAGES.length)]}`);
  if (r() < 0.15) lines.push('    privileged: true');
  if (r() < 0.3) lines.push(`    ports:`, `      - "${8000 + (i % 1000)}:80"`, '      - "127.0.0.1:9443:443"');
  else if (r() < 0.3) lines.push('    ports:', '      - target: 8080', '        published: "8080"', '        host_ip: 0.0.0.0', '        protocol: tcp');
  if (r() < 0.2) lines.push('    volumes:', '      - /var/run/docker.sock:/var/run/docker.sock', '      - ./data:/data');
  else if (r() < 0.3) lines.push('    volumes:', '      - type: bind', '        source: /etc', '        target: /host-etc', '        read_only: true');
  if (r() < 0.4) lines.push('    environment:', '      LOG_LEVEL: info', `      ${r() < 0.5 ? 'DB_PASSWORD' : 'API_TOKEN'}: "changeme-${i}"`);
  else if (r() < 0.3) lines.push('    environment:', '      - MODE=production', '      - SECRET_KEY=${SECRET_KEY}');
  if (r() < 0.3) lines.push('    env_file: .env.missing');
  if (r() < 0.2) lines.push('    network_mode: host');
  if (r() < 0.2) lines.push('    cap_add: [NET_ADMIN, SYS_PTRACE]');
  if (r() < 0.3) lines.push('    restart: always');
  if (r() < 0.2) lines.push('    user: root');
  if (r() < 0.3) lines.push('    mem_limit: 512m', '    cpus: 0.5');
  return lines;
}

/** The text of corpus file `i`. */
function composeFile(i) {
  const r = rng(i + 1);
  const lines = [`# bench corpus file ${i}`];
  if (r() < 0.4) lines.push(`version: "${['2.4', '3.7', '3.8', '3.9'][i % 4]}"`);
  if (r() < 0.5) lines.push(`name: app-${i}`);
  const anchors = r() < 0.4;
  if (anchors) lines.push('x-defaults: &defaults', '  restart: unless-stopped', '  logging:', '    driver: json-file', '    options: { max-size: 10m }');
  if (r() < 0.3) lines.push('x-owner: team-ml');
  lines.push('services:');
  const count = 1 + Math.floor(r() * 6);
  const good = i % 3 === 0;
  for (let s = 0; s < count; s++) {
    const name = ['api', 'worker', 'db', 'cache', 'web', 'scheduler'][s];
    lines.push(...(good ? hardened(name, i, r) : sloppy(name, i, r, anchors)));
  }
  lines.push('networks:', '  backend:', '    internal: true');
  if (lines.some((l) => l.includes('-data'))) {
    lines.push('volumes:');
    for (let s = 0; s < count; s++) lines.push(`  ${['api', 'worker', 'db', 'cache', 'web', 'scheduler'][s]}-data: {}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Writes `n` files into `dir` (created); returns their names and total size. */
function writeCorpus(n, dir) {
  fs.mkdirSync(dir, { recursive: true });
  const files = [];
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const name = `app-${String(i).padStart(4, '0')}${i % 2 ? '.compose.yml' : '-docker-compose.yml'}`;
    const text = composeFile(i);
    fs.writeFileSync(path.join(dir, name), text);
    files.push(name);
    bytes += Buffer.byteLength(text);
  }
  return { files, bytes };
}

module.exports = { writeCorpus, composeFile };

if (require.main === module) {
  const n = Number(process.argv[2]);
  const dir = process.argv[3];
  if (!Number.isInteger(n) || n < 1 || !dir) {
    console.error('usage: node bench/apps/compose-corpus.cjs <N> <dir>');
    process.exit(2);
  }
  const { files, bytes } = writeCorpus(n, dir);
  console.log(JSON.stringify({ files: files.length, bytes }));
}
