/** Escapes text for one Markdown table cell: pipes escaped, line breaks folded into spaces. */
export function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n|\r/g, ' ').trim();
}

/** Inline code for a table cell (backticks inside are replaced, since a cell cannot hold them safely). */
export function code(text: string): string {
  return `\`${text.replace(/\|/g, '\\|').replace(/\r?\n|\r/g, ' ').replace(/`/g, "'").trim()}\``;
}

/**
 * A Markdown table. `align` gives each column's alignment (`l` or `r`); cells are written as
 * given, so callers escape them with {@link cell}.
 */
export function table(header: readonly string[], rows: readonly (readonly (string | number)[])[], align: string = 'l'.repeat(header.length)): string {
  const sep = header.map((_, i) => (align[i] === 'r' ? '---:' : '---'));
  return [header, sep, ...rows].map((r) => `| ${r.map(String).join(' | ')} |`).join('\n');
}
