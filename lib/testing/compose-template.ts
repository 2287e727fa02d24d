import { parse } from 'yaml';
import { Assembly } from '../core/assembly';
import { COMPOSE_FILE } from '../compose/compose-project';
import { Match } from './match';
import { Matcher } from './matcher';
import { count, EntryResult, MismatchReport } from './mismatch-report';
import { isPlainObject, preview } from './plain-data';

/** A section of the compose file holding named entries. */
type Section = 'services' | 'networks' | 'volumes' | 'secrets';

/**
 * Assertions on a synthesized compose file, modelled on aws-cdk's `Template`. The file is parsed
 * as YAML 1.1, as docker-compose 1.x (PyYAML) reads it, so a scalar that only YAML 1.2 keeps as a
 * string (`yes`, `0755`, `22:22`) fails a string pattern instead of slipping through.
 *
 * A pattern is a `Matcher` or a plain object (matched as `Match.objectLike`). Each failure throws
 * an Error listing every mismatch as `<JSON pointer>: expected …, got …`.
 */
export class ComposeTemplate {
  /** Reads `<vpsName>/docker-compose.yml` from a synthesized assembly (see `Testing.synth`). */
  public static fromAssembly(assembly: Assembly, vpsName: string): ComposeTemplate {
    const path = `${vpsName}/${COMPOSE_FILE}`;
    if (!assembly.hasFile(path)) {
      const hosts = assembly.paths().filter((p) => p.endsWith(`/${COMPOSE_FILE}`)).map((p) => p.slice(0, -COMPOSE_FILE.length - 1));
      throw new Error(`No compose file '${path}' in the assembly; Vps folders with one: ${hosts.join(', ') || 'none'}`);
    }
    return ComposeTemplate.parse(assembly.file(path), path);
  }

  /** Parses compose YAML text (e.g. a hand-written file, to audit it with the same assertions). */
  public static fromString(yamlText: string): ComposeTemplate {
    return ComposeTemplate.parse(yamlText, 'the compose document');
  }

  private static parse(text: string, source: string): ComposeTemplate {
    let doc: unknown;
    try {
      doc = parse(text, { version: '1.1' });
    } catch (err) {
      throw new Error(`${source} is not valid YAML: ${(err as Error).message}`);
    }
    if (!isPlainObject(doc)) throw new Error(`${source} must be a YAML mapping at the top level, got ${preview(doc)}`);
    return new ComposeTemplate(doc, source);
  }

  private constructor(
    private readonly doc: Record<string, unknown>,
    /** Where the document came from, for messages. */
    private readonly source: string,
  ) {}

  /** A deep copy of the parsed document (a copy, so a test cannot alter what later assertions see). */
  public toJSON(): { [key: string]: any } {
    return structuredClone(this.doc);
  }

  /** A deep copy of one service; throws, listing the services there are, when it is missing. */
  public service(name: string): { [key: string]: any } {
    const services = this.section('services');
    if (!has(services, name)) throw new Error(`No service '${name}' in ${this.source}; ${this.listing('services')}`);
    return structuredClone(services[name]) as { [key: string]: any };
  }

  /** Asserts that the file defines exactly `n` services. */
  public serviceCountIs(n: number): void {
    const names = Object.keys(this.section('services'));
    if (names.length !== n) throw new Error(`Expected ${count(n, 'service')} in ${this.source}, found ${names.length}: ${names.join(', ') || 'none'}`);
  }

  /**
   * Asserts that service `name` exists and matches `pattern`. On failure the message lists its
   * mismatches, or, when there is no such service, the closest candidate and its mismatches.
   */
  public hasService(name: string, pattern: any): void {
    this.hasEntry('services', name, pattern);
  }

  /** Asserts that at least one service matches; on failure shows the closest candidate. */
  public hasServiceMatching(pattern: any): void {
    const results = this.test('services', toMatcher(pattern));
    for (const r of results) r.result.finished();
    if (results.some((r) => r.result.isSuccess)) return;
    const report = new MismatchReport('services');
    throw new Error([`No service in ${this.source} matches the pattern (${count(results.length, 'service')}).`, ...report.closestCandidate(results)].join('\n'));
  }

  /** Asserts that every service matches `pattern` (trivially true when there are none). */
  public allServices(pattern: any): void {
    const results = this.test('services', toMatcher(pattern));
    const failing = results.filter((r) => r.result.hasFailed());
    if (failing.length === 0) {
      for (const r of results) r.result.finished();
      return;
    }
    const head = `${failing.length} of ${count(results.length, 'service')} in ${this.source} do not match the pattern:`;
    throw new Error([head, ...new MismatchReport('services').failingEntries(failing)].join('\n'));
  }

  /**
   * Deep copies of the services that match `pattern`, keyed by name, in file order. Like aws-cdk's
   * `findResources` it never throws for "none": the empty result is a valid answer.
   */
  public findServices(pattern: any = Match.anyValue()): { [name: string]: any } {
    const found: { [name: string]: any } = {};
    const services = this.section('services');
    for (const { name, result } of this.test('services', toMatcher(pattern))) {
      if (result.finished().isSuccess) found[name] = structuredClone(services[name]);
    }
    return found;
  }

  /** Asserts that network `name` exists and, when a pattern is given, matches it. */
  public hasNetwork(name: string, pattern?: any): void {
    this.hasEntry('networks', name, pattern);
  }

  /** Asserts that named volume `name` exists and, when a pattern is given, matches it. */
  public hasVolume(name: string, pattern?: any): void {
    this.hasEntry('volumes', name, pattern);
  }

  /** Asserts that secret `name` exists and, when a pattern is given, matches it. */
  public hasSecret(name: string, pattern?: any): void {
    this.hasEntry('secrets', name, pattern);
  }

  private hasEntry(section: Section, name: string, pattern: unknown): void {
    const entries = this.section(section);
    const matcher = pattern === undefined ? undefined : toMatcher(pattern);
    const report = new MismatchReport(section);
    const noun = section.replace(/s$/, '');
    if (!has(entries, name)) {
      const lines = [`No ${noun} '${name}' in ${this.source}; ${this.listing(section)}`];
      if (matcher && Object.keys(entries).length > 0) lines.push(...report.closestCandidate(this.test(section, matcher)));
      throw new Error(lines.join('\n'));
    }
    if (!matcher) return;
    const result = matcher.test(entries[name]);
    if (result.finished().isSuccess) return;
    const head = `The ${noun} '${name}' in ${this.source} does not match the pattern (${count(result.failCount, 'mismatch')}):`;
    const lines = [head, ...report.mismatches({ name, result })];
    // A right pattern checked against the wrong name is a common slip: point at the right one.
    const others = this.test(section, matcher).filter((r) => r.name !== name && r.result.isSuccess).map((r) => r.name);
    if (others.length > 0) lines.push(`(${section} that do match it: ${others.slice(0, 5).join(', ')}${others.length > 5 ? ', …' : ''})`);
    throw new Error(lines.join('\n'));
  }

  /** Every entry of a section tested against `matcher` (captures not yet delivered). */
  private test(section: Section, matcher: Matcher): EntryResult[] {
    const entries = this.section(section);
    return Object.keys(entries).map((name) => ({ name, result: matcher.test(entries[name]) }));
  }

  private section(section: Section): Record<string, unknown> {
    const value = this.doc[section];
    if (value === undefined || value === null) return {};
    if (!isPlainObject(value)) throw new Error(`'/${section}' in ${this.source} must be a mapping of names to entries, got ${preview(value)}`);
    return value;
  }

  private listing(section: Section): string {
    const names = Object.keys(this.section(section));
    return names.length > 0 ? `${section}: ${names.join(', ')}` : `it has no ${section}`;
  }
}

/** A pattern as a matcher: matchers as they are, plain objects as `Match.objectLike`. */
function toMatcher(pattern: unknown): Matcher {
  if (Matcher.isMatcher(pattern)) return pattern;
  if (isPlainObject(pattern)) return Match.objectLike(pattern);
  throw new Error(`A pattern must be a Matcher or a plain object, got ${preview(pattern)}`);
}

function has(entries: Record<string, unknown>, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(entries, name);
}
