/**
 * Shared helpers of the property and bad-input tests: the "clear error" contract, YAML parsing
 * in both YAML versions, output snapshots and a small valid lab to inject faults into.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseDocument } from 'yaml';
import { expect } from 'vitest';
import { App, HealthCheck, Image, MlsecError, ValidationError, Vps, Workload, WorkloadProps, Zone } from '../../lib';
import { RENDERING_ONLY } from '../support/fixtures';

/** Messages of JavaScript engine / Node errors: a user must never see one of these. */
const ENGINE_MESSAGE =
  /Cannot read propert|Cannot set propert|is not a function|is not iterable|is not a constructor|is not valid JSON|Unexpected token|Do not know how to serialize|Cannot convert|Maximum call stack|argument must be of type|rendering failed|Invalid (array|string) length|undefined is not a function|null is not an object/;

/** What a bad input must produce. */
export interface ExpectedError {
  /** Construct paths the message must name (each as a whole path, not a prefix of a longer id). */
  readonly paths: readonly string[];
  /** The prop the message must name. */
  readonly prop: string | RegExp;
  /** Optional: words describing what is allowed. */
  readonly allowed?: string | RegExp;
}

/** Whether `message` names the construct path `p` (followed by a non-id character or the end). */
export function namesPath(message: string, p: string): boolean {
  const escaped = p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`${escaped}(?![A-Za-z0-9_.-])`).test(message);
}

/** Runs `action` and returns what it threw (fails when it did not throw). */
export function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (err) {
    return err;
  }
  expect.fail('expected the library to reject the input with an MlsecError, but it was accepted');
  return undefined;
}

/**
 * The library's "clear error" contract: an MlsecError (never a TypeError or another engine
 * error, not even wrapped), whose message names every expected construct path, the prop and,
 * when given, what is allowed; a ValidationError prints exactly one line per issue.
 */
export function expectClearError(action: () => unknown, expected: ExpectedError): MlsecError {
  const err = thrownBy(action);
  assertClearError(err, expected);
  return err as MlsecError;
}

/** {@link expectClearError} on an error already caught. */
export function assertClearError(err: unknown, expected: ExpectedError): void {
  const shown = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  expect(err, `expected an MlsecError, got ${shown}`).toBeInstanceOf(MlsecError);
  const message = (err as MlsecError).message;
  expect(message, 'an engine error leaked through the library error').not.toMatch(ENGINE_MESSAGE);
  for (const p of expected.paths) {
    expect(namesPath(message, p), `message must name construct path '${p}':\n${message}`).toBe(true);
  }
  if (typeof expected.prop === 'string') expect(message, 'message must name the prop').toContain(expected.prop);
  else expect(message, 'message must name the prop').toMatch(expected.prop);
  if (expected.allowed !== undefined) {
    if (typeof expected.allowed === 'string') expect(message, 'message must say what is allowed').toContain(expected.allowed);
    else expect(message, 'message must say what is allowed').toMatch(expected.allowed);
  }
  if (err instanceof ValidationError) {
    expect(err.issues.length).toBeGreaterThan(0);
    expect(message.split('\n'), 'one line per issue: user values must not break lines').toHaveLength(err.issues.length + 1);
    for (const issue of err.issues) expect(issue.path.length).toBeGreaterThan(0);
  }
}

/** Parses YAML strictly (no errors, no warnings) as the given version, as plain data. */
export function parseStrict(text: string, version: '1.1' | '1.2'): any {
  const doc = parseDocument(text, { version, uniqueKeys: true });
  expect(doc.errors.map((e) => e.message), `YAML ${version} errors`).toEqual([]);
  expect(doc.warnings.map((e) => e.message), `YAML ${version} warnings`).toEqual([]);
  return doc.toJS({ maxAliasCount: 0 });
}

/** Parses a compose text as YAML 1.1 and 1.2 and asserts both read the same data. */
export function parseBothVersions(text: string): any {
  const v11 = parseStrict(text, '1.1');
  const v12 = parseStrict(text, '1.2');
  expect(v11, 'YAML 1.1 and YAML 1.2 readers must read the same data').toStrictEqual(v12);
  return v12;
}

/**
 * Characters the YAML 1.1 reader of docker-compose 1.29 (PyYAML's Reader) accepts anywhere in a
 * stream, even escaped in a double-quoted scalar's source text: tab, LF, CR, printable ASCII,
 * NEL and the printable BMP/astral ranges.
 */
export const YAML11_UNPRINTABLE = /[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** Undoes compose's `$$` escaping. */
export function unescapeDollars(value: string): string {
  return value.replace(/\$\$/g, '$');
}

/** A fresh temporary directory. */
export function tempDir(prefix = 'mlsec-prop-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Props of a valid workload, to be spread under a bad one. */
export function okProps(): WorkloadProps {
  return {
    zone: Zone.Z6_SERVING,
    image: Image.fromRegistry('seldonio/mlserver', '1.6.1'),
    ports: [8080],
    healthCheck: HealthCheck.command(['curl', '-f', 'http://127.0.0.1:8080/']),
  };
}

/** A valid lab: `lab/server` (Z3, ports 5432 and 8080) and `lab/client` (Z6, port 9000) talking on 5432. */
export interface Lab {
  readonly app: App;
  readonly vps: Vps;
  readonly server: Workload;
  readonly client: Workload;
}

/** Builds a {@link Lab}; `outdir` defaults to a relative `synth-out` (nothing is written unless `app.synth()` is called). */
export function lab(outdir = 'synth-out'): Lab {
  const app = new App({ outdir, secretsDir: 'secrets', postureReportOnly: RENDERING_ONLY });
  const vps = new Vps(app, 'lab', { domain: 'lab.example.com' });
  const server = new Workload(vps, 'server', {
    zone: Zone.Z3_CURATED,
    image: Image.fromRegistry('postgres', '15.8'),
    ports: [5432, 8080],
    healthCheck: HealthCheck.command(['pg_isready', '-q']),
  });
  const client = new Workload(vps, 'client', {
    zone: Zone.Z6_SERVING,
    image: Image.fromRegistry('seldonio/mlserver', '1.6.1'),
    ports: [9000],
    healthCheck: HealthCheck.command(['true']),
  });
  client.connections.allowTo(server, { port: 5432 });
  return { app, vps, server, client };
}

/** Adds `lab/api` with valid props overridden by `props`. */
export function addApi(l: Lab, props: Partial<Record<keyof WorkloadProps, unknown>> = {}, id = 'api'): Workload {
  return new Workload(l.vps, id, { ...okProps(), ...props } as WorkloadProps);
}
