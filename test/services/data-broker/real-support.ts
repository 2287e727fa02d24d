/**
 * What the broker's real tests share: Benthos started as the compose command would, in a private
 * mount namespace whose /etc/hosts maps `curated-db` to 127.0.0.1 (the compose DNS), so it still
 * connects by name and verifies the server certificate for it; and the curated tables.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { benthosBinary } from '../../support/real-servers/benthos';
import { freePort, waitForPort } from '../../support/real-servers/free-port';
import { makeServerDir, removeServerDir, trackChild } from '../../support/real-servers/process-registry';

/** A running broker: stop it, read its log. */
export interface RunningBroker {
  readonly stop: () => Promise<void>;
  readonly log: () => string;
}

/** `benthos <args>` with `env` only, resolving `curated-db` (and `data-broker`) to 127.0.0.1; resolves once `port` listens. */
export async function startBrokerBenthos(args: string[], env: Record<string, string>, port: number): Promise<RunningBroker> {
  const dir = makeServerDir('benthos-broker');
  const hosts = path.join(dir, 'hosts');
  fs.writeFileSync(hosts, '127.0.0.1 localhost curated-db data-broker\n');
  const logFile = path.join(dir, 'benthos.log');
  const out = fs.openSync(logFile, 'a');
  const child: ChildProcess = spawn('unshare', ['-m', '/bin/sh', '-c', 'mount --bind "$1" /etc/hosts && shift && exec "$@"', 'sh', hosts, benthosBinary(), ...args], {
    cwd: dir, env: { PATH: '/usr/bin:/bin:/usr/sbin:/sbin', HOME: dir, ...env }, stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  let exited: string | undefined;
  child.once('exit', (code) => (exited = `benthos exited (${code})`));
  const stop = trackChild('data-broker', child, () => removeServerDir(dir));
  await waitForPort(port, 30_000, () => (exited ? `${exited}\n${log()}` : undefined));
  return { stop, log };
}

/**
 * Moves Benthos' own HTTPS metrics server (`http`, 0.0.0.0:4195 in compose) to a free loopback
 * port, so parallel test files never share 4195; recorded in `overrides`. The certificate paths
 * are the caller's to re-point (with the rest of the config). Returns the port.
 */
export async function placeMetricsServer(config: any, overrides: string[]): Promise<number> {
  const port = await freePort();
  if (config.http?.enabled !== true || config.http.address !== '0.0.0.0:4195') throw new Error(`the broker's Benthos server is not the 4195 metrics server: ${JSON.stringify(config.http)}`);
  overrides.push(`data-broker/benthos.yaml http.address: ${config.http.address} → 127.0.0.1:${port}`);
  config.http.address = `127.0.0.1:${port}`;
  return port;
}

/**
 * The curated tables, created and filled by the database's owner (so the broker's default SELECT
 * applies): transactions (7 rows, with a `customer_cpf` column never published) and customers.
 */
export const CURATED_TABLES_SQL = [
  'SET ROLE curated_owner;',
  'CREATE TABLE curated_core.transactions (id bigint PRIMARY KEY, amount numeric(12,2), channel text, occurred_at timestamptz, customer_cpf text);',
  `INSERT INTO curated_core.transactions VALUES ${Array.from({ length: 7 }, (_, i) => `(${(i + 1) * 10}, ${(i + 1) * 1.5}, 'APP', '2026-01-0${i + 1}T00:00:00Z', '000.000.000-0${i}')`).join(', ')};`,
  'CREATE TABLE curated_core.customers (customer_token text PRIMARY KEY, segment text, full_name text);',
  "INSERT INTO curated_core.customers VALUES ('tok_a', 'retail', 'Ana'), ('tok_b', 'sme', 'Bruno'), ('tok_c', 'retail', 'Carla');",
].join('\n');
