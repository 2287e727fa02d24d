import { MatchResult } from './matcher-result';

/** Most mismatch lines shown for one entry: the first few tell the story, the rest is noise. */
export const MAX_LINES_PER_ENTRY = 10;
/** Most failing entries listed by an `all…` assertion. */
export const MAX_ENTRIES = 5;

/** One named entry of a compose section (a service, network …) and how it fared against a pattern. */
export interface EntryResult {
  /** Name of the entry, e.g. `api`. */
  readonly name: string;
  /** The outcome of matching it. */
  readonly result: MatchResult;
}

/**
 * Builds the text of failed template assertions: mismatch lines under a JSON pointer into the
 * compose document, capped so that a wholesale mismatch still prints a readable message.
 */
export class MismatchReport {
  /** `service`, `network` … : the singular of the section, used in sentences. */
  private readonly noun: string;

  /** @param section the compose section the entries come from, e.g. `services`. */
  constructor(private readonly section: string) {
    this.noun = section.replace(/s$/, '');
  }

  /** `service 'api' (2 mismatches):` followed by its mismatch lines. */
  public entry(entry: EntryResult, maxLines: number = MAX_LINES_PER_ENTRY): string[] {
    return [`${this.noun} '${entry.name}' (${count(entry.result.failCount, 'mismatch')}):`, ...this.mismatches(entry, maxLines)];
  }

  /** The entry's mismatch lines, indented, at most `maxLines` of them plus a "… more" line. */
  public mismatches(entry: EntryResult, maxLines: number = MAX_LINES_PER_ENTRY): string[] {
    const lines = entry.result.mismatchLines([this.section, entry.name]);
    const shown = lines.slice(0, maxLines).map((l) => `  ${l}`);
    if (lines.length > maxLines) shown.push(`  … and ${count(lines.length - maxLines, 'more mismatch')}`);
    return shown;
  }

  /** The entry with the fewest mismatches (the first one on a tie), if any. */
  public static closest(entries: readonly EntryResult[]): EntryResult | undefined {
    let best: EntryResult | undefined;
    for (const e of entries) if (!best || e.result.failCount < best.result.failCount) best = e;
    return best;
  }

  /** The "closest candidate" paragraph for a search that found no (or no such) entry. */
  public closestCandidate(entries: readonly EntryResult[]): string[] {
    const best = MismatchReport.closest(entries);
    if (!best) return [`It has no ${this.section}.`];
    if (best.result.isSuccess) return [`The closest candidate, ${this.noun} '${best.name}', matches the pattern.`];
    const [title, ...lines] = this.entry(best);
    return [`The closest candidate is ${title}`, ...lines];
  }

  /** The failing entries of an `all…` assertion, at most {@link MAX_ENTRIES} of them. */
  public failingEntries(failing: readonly EntryResult[]): string[] {
    const lines = failing.slice(0, MAX_ENTRIES).flatMap((e) => this.entry(e, Math.ceil(MAX_LINES_PER_ENTRY / 2)));
    if (failing.length > MAX_ENTRIES) lines.push(`… and ${count(failing.length - MAX_ENTRIES, `more ${this.noun}`)}`);
    return lines;
  }
}

/** `1 mismatch`, `2 mismatches`. */
export function count(n: number, noun: string): string {
  return `${n} ${plural(n, noun)}`;
}

function plural(n: number, noun: string): string {
  if (n === 1) return noun;
  return /(s|x|ch|sh)$/.test(noun) ? `${noun}es` : `${noun}s`;
}
