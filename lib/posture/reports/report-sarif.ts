import { createHash } from 'crypto';
import { isAbsolute } from 'path';
import { pathToFileURL } from 'url';
import { canonicalJson } from '../../core/canonical-json';
import { FRAMEWORKS } from '../controls';
import { Finding } from '../finding';
import { Rule } from '../rule';
import { CATALOG_VERSION } from '../rule-catalog';
import { Level, Severity } from '../severity';

/** The SARIF version and schema written. */
export const SARIF_VERSION = '2.1.0';
/** The SARIF 2.1.0 schema URI. */
export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

/** GitHub's `security-severity` score per severity (CVSS-like bands: critical ≥ 9, high ≥ 7, medium ≥ 4). */
export const SECURITY_SEVERITY: Readonly<Record<Severity, string>> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: '0.0',
};

/** What a SARIF log is made from. */
export interface SarifInput {
  /** The rules of the catalog, in catalog order (all of them: `ruleIndex` points into this list). */
  readonly rules: readonly Rule[];
  /** The findings, acknowledged ones included (they become suppressed results). */
  readonly findings: readonly (Finding & { readonly zone?: string })[];
  /**
   * A `uriBaseId` for relative file paths, described in `originalUriBaseIds` (synth reports use
   * `OUTDIR`: paths are relative to the synth output directory).
   * @default none: relative paths are relative to where the tool ran
   */
  readonly uriBase?: { readonly id: string; readonly description: string };
  /**
   * `automationDetails.id` (a category, for GitHub code scanning: `mlsec-cdk/lab/`).
   * @default none
   */
  readonly automationId?: string;
}

/** The SARIF level of a rule level. */
export function sarifLevel(level: Level): 'error' | 'warning' | 'note' {
  return level === 'info' ? 'note' : level;
}

/**
 * A SARIF 2.1.0 log (what GitHub code scanning ingests): one run of tool `mlsec-cdk` whose driver
 * lists every rule with its rationale, remediation, level, framework control tags and
 * `security-severity`, and one result per finding with its location, a stable partial
 * fingerprint and, for an acknowledged finding, an external suppression carrying the reason.
 */
export function buildSarifLog(input: SarifInput): object {
  const ruleIndex = new Map(input.rules.map((r, i) => [r.id, i]));
  const run: Record<string, unknown> = {
    tool: {
      driver: {
        name: 'mlsec-cdk',
        version: CATALOG_VERSION,
        rules: input.rules.map(sarifRule),
      },
    },
    columnKind: 'utf16CodeUnits',
    results: input.findings.map((f) => sarifResult(f, ruleIndex.get(f.ruleId), input.uriBase?.id)),
  };
  if (input.uriBase) run.originalUriBaseIds = { [input.uriBase.id]: { description: { text: input.uriBase.description } } };
  if (input.automationId) run.automationDetails = { id: input.automationId };
  return { $schema: SARIF_SCHEMA, version: SARIF_VERSION, runs: [run] };
}

/** The canonical JSON text of a SARIF log. */
export function renderSarif(input: SarifInput): string {
  return canonicalJson(buildSarifLog(input));
}

/** A relative URI reference for a relative path, a `file:` URI for an absolute one. */
export function artifactUri(file: string): string {
  if (isAbsolute(file)) return pathToFileURL(file).href;
  return file
    .replace(/\\/g, '/')
    .replace(/^(\.\/)+/, '')
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}

/** Stable across runs and line moves: a hash of rule id, file and data path. */
export function findingFingerprint(f: Pick<Finding, 'ruleId' | 'file' | 'path'>): string {
  return createHash('sha256').update(`${f.ruleId}\u0000${f.file}\u0000${f.path}`, 'utf8').digest('hex').slice(0, 32);
}

function sarifRule(rule: Rule): object {
  const tags = ['security'];
  for (const { id } of FRAMEWORKS) for (const control of rule.controls[id] ?? []) tags.push(`${id}/${control}`);
  return {
    id: rule.id,
    name: ruleName(rule),
    shortDescription: { text: rule.title },
    fullDescription: { text: rule.rationale },
    help: { text: rule.remediation },
    defaultConfiguration: { level: sarifLevel(rule.level) },
    properties: {
      tags,
      'security-severity': SECURITY_SEVERITY[rule.severity],
      severity: rule.severity,
      priority: rule.priority,
      kinds: [...rule.kinds],
      unsuppressible: rule.unsuppressible === true,
    },
  };
}

function sarifResult(f: Finding & { readonly zone?: string }, index: number | undefined, uriBaseId: string | undefined): object {
  const artifactLocation: Record<string, string> = { uri: artifactUri(f.file) };
  if (uriBaseId && !isAbsolute(f.file)) artifactLocation.uriBaseId = uriBaseId;
  const result: Record<string, unknown> = {
    ruleId: f.ruleId,
    level: sarifLevel(f.level),
    message: { text: f.message },
    locations: [{ physicalLocation: { artifactLocation, region: { startLine: Math.max(1, f.line), startColumn: Math.max(1, f.column) } } }],
    partialFingerprints: { 'mlsecFindingHash/v1': findingFingerprint(f) },
    properties: { granularId: f.granularId, severity: f.severity, path: f.path, constructPath: f.constructPath, zone: f.zone },
  };
  if (index !== undefined) result.ruleIndex = index;
  if (f.acknowledged) {
    result.suppressions = [
      {
        kind: 'external',
        status: 'accepted',
        justification: f.acknowledged.reason,
        properties: { selector: f.acknowledged.selector, by: f.acknowledged.by },
      },
    ];
  }
  return result;
}

/** A SARIF rule `name`: the title in PascalCase (`PrivilegedContainer`). */
function ruleName(rule: Rule): string {
  const words = rule.title.match(/[A-Za-z0-9]+/g) ?? [];
  const name = words.map((w) => w[0].toUpperCase() + w.slice(1)).join('');
  return name.length > 0 ? name : rule.id.replace(/[^A-Za-z0-9]/g, '');
}
