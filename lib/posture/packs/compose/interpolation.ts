/**
 * Compose variable interpolation (`${VAR}`, `${VAR:-default}`, `$VAR`), resolved only as far as
 * the file itself says: a default is used, anything else stays an unresolved marker `‹VAR›`
 * (which contains no `:` or `/`, so parsers of ports, images and paths are not confused).
 */

/** The text with defaults applied, and the variables whose value the file does not give. */
export interface Interpolated {
  /** Text with `${VAR:-x}` → `x` and unresolved variables → `‹VAR›`. */
  readonly text: string;
  /** Names of variables without a default in the file. */
  readonly unresolved: readonly string[];
}

/** Start of the marker standing for an unresolved variable. */
export const UNRESOLVED_MARK = '\u2039';

const BRACED = /\$\{([^{}]*)\}/;
const BARE = /\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** Whether the text uses interpolation at all (`$$` is an escaped dollar, not interpolation). */
export function usesInterpolation(text: string): boolean {
  return /\$(?:\{|[A-Za-z_])/.test(text.replace(/\$\$/g, ''));
}

/** Applies the defaults a compose file gives and marks everything else unresolved. */
export function interpolate(text: string): Interpolated {
  const unresolved: string[] = [];
  let out = text.replace(/\$\$/g, '\u0000');
  for (let guard = 0; guard < 50; guard++) {
    const match = BRACED.exec(out);
    if (!match) break;
    const expr = match[1];
    const op = /^([A-Za-z_][A-Za-z0-9_]*)(:?[-?+])?([\s\S]*)$/.exec(expr);
    let replacement: string;
    if (op && (op[2] === ':-' || op[2] === '-')) {
      replacement = op[3];
    } else {
      const name = op ? op[1] : expr;
      unresolved.push(name);
      replacement = `${UNRESOLVED_MARK}${name}\u203a`;
    }
    out = out.slice(0, match.index) + replacement + out.slice(match.index + match[0].length);
  }
  out = out.replace(BARE, (_m, name: string) => {
    unresolved.push(name);
    return `${UNRESOLVED_MARK}${name}\u203a`;
  });
  return { text: out.replace(/\u0000/g, '$'), unresolved };
}
