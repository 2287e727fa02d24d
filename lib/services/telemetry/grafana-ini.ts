import { MlsecError } from '../../core/errors';

/** One grafana.ini section: key → value (booleans and numbers are written as Grafana reads them). */
export type IniSection = Readonly<Record<string, string | number | boolean>>;

/**
 * Renders sections as INI text, in the given order, keys in insertion order. Values are written
 * verbatim (go-ini, Grafana's parser, keeps everything after `=`), so a value must be one line
 * and must not start a comment; a `;` or `#` inside a value is refused too, because some INI
 * readers cut there.
 */
export function renderIni(header: string, sections: ReadonlyArray<readonly [string, IniSection]>): string {
  const lines = header.split('\n').map((l) => `# ${l}`.trimEnd());
  for (const [name, section] of sections) {
    lines.push('', `[${name}]`);
    for (const [key, raw] of Object.entries(section)) {
      const value = String(raw);
      if (/[\r\n;#]/.test(value) || /^\s|\s$/.test(value)) throw new MlsecError(`grafana.ini [${name}] ${key}: the value ${JSON.stringify(value)} cannot be written safely (newline, ';', '#' or edge spaces)`);
      lines.push(value === '' ? `${key} =` : `${key} = ${value}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** Grafana's file expansion: the value is read from `path` when Grafana starts (never stored here). */
export function fileValue(path: string): string {
  return `$__file{${path}}`;
}
