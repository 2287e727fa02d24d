/**
 * ClamavScanner: the compose service (hardened, no TLS declared with its reason, read-only
 * signatures, sized tmpfs scratch), the one declared client, and clamd.conf directive by
 * directive (Z1-K09 limits); a snapshot paired with these assertions. The file is run by a real
 * clamd in clamav-scanner.real.test.ts.
 */
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { Testing, Vps } from '../../../lib';
import { dockerComposeConfig } from '../../support/docker-compose';
import { ClamavScanner, CLAMD_PLAIN_TCP_REASON } from '../../../lib/services/clamav';
import { buildScannerLab } from './clamav-fixture';

function synth(props: Parameters<typeof buildScannerLab>[0] = {}) {
  const lab = buildScannerLab(props);
  const assembly = Testing.synth(lab.app);
  const conf = assembly.file('lab/clamav/clamd.conf');
  const directives = new Map(conf.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]));
  return { lab, assembly, conf, directives, compose: parse(assembly.file('lab/docker-compose.yml')) };
}

const plain = synth();
const custom = synth({ limits: { maxRecursion: 5, maxScanSizeMiB: 100, maxFileSizeMiB: 50, maxFiles: 200, maxScanTimeSeconds: 60, maxStreamMiB: 10 }, resources: { cpus: 2, memoryMiB: 3072 } });

describe('ClamavScanner: the compose service', () => {
  it('is a hardened Z1 service running clamd on the generated file', () => {
    const svc = plain.compose.services.clamav;
    expect(svc.image).toBe('clamav/clamav:1.4.4_base');
    expect(svc.entrypoint).toEqual(['clamd']);
    expect(svc.command).toEqual(['--foreground', '--config-file=/etc/mlsec/clamav/clamd.conf']);
    expect(svc.expose).toEqual(['3310']);
    expect(svc.ports).toBeUndefined();
    expect(svc.user).toBe('10001:10001');
    expect(svc.read_only).toBe(true);
    expect(svc.cap_drop).toEqual(['ALL']);
    expect(svc.security_opt).toEqual(['no-new-privileges:true']);
    expect(svc.deploy.resources.limits).toEqual({ cpus: '1', memory: '2048M' });
    expect(svc.pids_limit).toBe(64);
    expect(svc.tmpfs).toEqual(['/tmp:rw,noexec,nosuid,size=100m']);
    expect(custom.compose.services.clamav.tmpfs).toEqual(['/tmp:rw,noexec,nosuid,size=40m']);
    expect(svc.healthcheck.test).toEqual(['CMD-SHELL', "printf 'zPING\\0' | nc -w 5 127.0.0.1 3310 | grep -q PONG"]);
    expect(svc.healthcheck.start_period).toBe('300s');
    expect(svc.secrets).toBeUndefined();
    expect(svc.environment).toBeUndefined();
  });

  it('is accepted by docker-compose config', () => {
    const r = dockerComposeConfig(plain.assembly.file('lab/docker-compose.yml'));
    expect(r.status, r.stderr).toBe(0);
  });

  it('reads the signatures from its own volume, read-only, and its config read-only', () => {
    const svc = plain.compose.services.clamav;
    expect(svc.volumes).toEqual([
      { type: 'volume', source: 'clamav-signatures', target: '/var/lib/clamav', read_only: true },
      { type: 'bind', source: './clamav/clamd.conf', target: '/etc/mlsec/clamav/clamd.conf', read_only: true },
    ]);
    expect(plain.compose.volumes['clamav-signatures']).toEqual({});
    expect(plain.lab.scanner.signatures.name).toBe('clamav-signatures');
  });

  it('declares the plain-TCP hop with its reason, and exactly one client flow', () => {
    const s = plain.compose.services;
    expect(s.clamav['x-mlsec'].overrides).toEqual([{ control: 'transport-tls', setting: 'plain TCP 3310', reason: CLAMD_PLAIN_TCP_REASON }]);
    expect(s['scan-service']['x-mlsec'].flows).toEqual([{ to: 'clamav', port: 3310 }]);
    const inbound = Object.entries(s as Record<string, any>).filter(([, x]) => (x['x-mlsec']?.flows ?? []).some((f: any) => f.to === 'clamav')).map(([n]) => n);
    expect(inbound).toEqual(['scan-service']);
    expect(s.clamav['x-mlsec'].flows).toBeUndefined();
    expect(s.clamav.networks).toEqual(['z1']);
    expect(plain.lab.scanner.clients).toEqual([plain.lab.client]);
    plain.lab.scanner.allowScanFrom(plain.lab.client); // idempotent
    expect(plain.lab.scanner.clients).toHaveLength(1);
  });

  it('has no network at all without a client', () => {
    const app = Testing.app();
    new ClamavScanner(new Vps(app, 'lab', { domain: 'lab.example.com' }), 'clamav');
    const svc = parse(Testing.synth(app).file('lab/docker-compose.yml')).services.clamav;
    expect(svc.networks).toBeUndefined();
    expect(svc.network_mode).toBe('none');
  });
});

describe('ClamavScanner: signature updates (freshclam from the host, never from the scanner)', () => {
  const fresh = plain.assembly.file('lab/clamav/freshclam.conf');
  const script = plain.assembly.file('lab/clamav/update-signatures.sh');
  it('writes freshclam.conf for the official mirror, or a private one', () => {
    expect(fresh).toMatch(/^DatabaseDirectory \/var\/lib\/clamav$/m);
    expect(fresh).toMatch(/^DatabaseMirror database\.clamav\.net$/m);
    expect(fresh).toMatch(/^TestDatabases yes$/m);
    expect(fresh).not.toMatch(/^(UpdateLogFile|NotifyClamd|DatabaseOwner)/m);
    const priv = synth({ privateMirror: 'https://clamav-mirror.bank.example' }).assembly.file('lab/clamav/freshclam.conf');
    expect(priv).toMatch(/^PrivateMirror https:\/\/clamav-mirror\.bank\.example$/m);
    expect(priv).not.toMatch(/^DatabaseMirror/m);
  });

  it('writes a hardened one-shot update into the scanner\'s volume with the scanner\'s image', () => {
    expect(script.startsWith('#!/bin/sh\n')).toBe(true);
    expect(script).toContain('docker run --rm --read-only --cap-drop ALL --security-opt no-new-privileges:true');
    expect(script).toContain('--mount type=volume,source=lab_clamav-signatures,target=/var/lib/clamav');
    expect(script).toContain('--entrypoint freshclam clamav/clamav:1.4.4_base --config-file=/etc/mlsec/clamav/freshclam.conf');
    // Not a compose service: the scanner's own service has no egress and no freshclam.
    expect(Object.keys(plain.compose.services).sort()).toEqual(['clamav', 'scan-service']);
    expect(plain.compose.networks.z1.internal).toBe(true);
  });
});

describe('ClamavScanner: clamd.conf', () => {
  const d = plain.directives;
  it('sets the Z1-K09 limits by default', () => {
    expect(d.get('MaxRecursion')).toBe('3');
    expect(d.get('MaxScanSize')).toBe('200M');
    expect(d.get('MaxFileSize')).toBe('200M');
    expect(d.get('MaxFiles')).toBe('1000');
    expect(d.get('MaxScanTime')).toBe('30000');
    expect(d.get('StreamMaxLength')).toBe('25M');
  });

  it('flags what it cannot scan fully: limits hit, encrypted archives and documents', () => {
    for (const k of ['AlertExceedsMax', 'AlertEncrypted', 'AlertEncryptedArchive', 'AlertEncryptedDoc', 'HeuristicAlerts', 'ScanArchive', 'AlertBrokenExecutables', 'AlertOLE2Macros']) expect(d.get(k), k).toBe('yes');
  });

  it('listens on TCP 3310 only, writes only to /tmp, reads signatures from /var/lib/clamav and reloads them', () => {
    expect(d.get('TCPSocket')).toBe('3310');
    expect(d.get('TCPAddr')).toBe('0.0.0.0');
    expect(d.has('LocalSocket')).toBe(false);
    expect(d.get('DatabaseDirectory')).toBe('/var/lib/clamav');
    expect(d.get('TemporaryDirectory')).toBe('/tmp');
    expect(d.get('PidFile')).toBe('/tmp/clamd.pid');
    expect(d.has('LogFile')).toBe(false);
    expect(d.get('Foreground')).toBe('yes');
    expect(d.get('SelfCheck')).toBe('3600');
    expect(d.get('ConcurrentDatabaseReload')).toBe('no');
    expect(d.has('User')).toBe(false);
  });

  it('takes custom limits and sizes threads from the CPU limit', () => {
    const c = custom.directives;
    expect([c.get('MaxRecursion'), c.get('MaxScanSize'), c.get('MaxFileSize'), c.get('MaxFiles'), c.get('MaxScanTime'), c.get('StreamMaxLength')]).toEqual(['5', '100M', '50M', '200', '60000', '10M']);
    expect(c.get('MaxThreads')).toBe('4');
    expect(d.get('MaxThreads')).toBe('2');
  });

  it('is deterministic and matches the snapshot', async () => {
    expect(synth().conf).toBe(plain.conf);
    await expect(plain.conf).toMatchFileSnapshot('__snapshots__/clamd.conf');
    await expect(plain.assembly.file('lab/clamav/update-signatures.sh')).toMatchFileSnapshot('__snapshots__/update-signatures.sh');
  });
});
