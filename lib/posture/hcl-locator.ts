import type { DocumentPath, SourceLocation } from './source-document';

/**
 * Maps hcl2json-shaped data paths back to lines of HCL text. hcl2json turns
 * `path "kv/data/*" { capabilities = ["read"] }` into `{ path: { "kv/data/*": [ { capabilities } ] } }`
 * and `listener "tcp" { … }` into `{ listener: { tcp: [ { … } ] } }`; this scanner records, for
 * every block header and attribute, the data path it becomes. Comments (`#`, `//`, `/* *\/`)
 * and heredocs are skipped. It locates; it does not validate (HashiCorp's parser did that).
 */
export class HclLocator {
  private readonly positions = new Map<string, SourceLocation>();

  constructor(text: string) {
    this.scan(text);
  }

  /** Position of the deepest recorded prefix of `path`. */
  public locate(path: DocumentPath): SourceLocation {
    for (let n = path.length; n > 0; n--) {
      const hit = this.positions.get(keyOf(path.slice(0, n)));
      if (hit) return hit;
    }
    return { line: 1, column: 1 };
  }

  private scan(text: string): void {
    const lines = text.split(/\r?\n/);
    /** Open blocks: the data path each one opened. */
    const stack: (string | number)[][] = [[]];
    /** How many blocks of a given path were opened, for hcl2json's array index. */
    const counts = new Map<string, number>();
    let inComment = false;
    let heredoc: string | undefined;
    /** Open braces of an attribute's value (a map spanning lines). */
    let valueDepth = 0;
    for (let i = 0; i < lines.length; i++) {
      let line = lines[i];
      if (heredoc !== undefined) {
        if (line.trim() === heredoc) heredoc = undefined;
        continue;
      }
      if (inComment) {
        const end = line.indexOf('*/');
        if (end < 0) continue;
        line = ' '.repeat(end + 2) + line.slice(end + 2);
        inComment = false;
      }
      line = stripComments(line);
      const opener = blockCommentStart(line);
      if (opener >= 0) {
        const close = line.indexOf('*/', opener + 2);
        if (close >= 0) line = line.slice(0, opener) + line.slice(close + 2);
        else {
          inComment = true;
          line = line.slice(0, opener);
        }
      }
      // Inside a multi-line attribute value (`x = {` … `}`) nothing opens or closes a block.
      if (valueDepth > 0) {
        valueDepth += braceBalance(line);
        continue;
      }
      const current = stack[stack.length - 1];
      const oneLine = /^(\s*)([A-Za-z_][\w-]*)((?:\s+"(?:[^"\\]|\\.)*"|\s+[A-Za-z_][\w-]*)*)\s*\{(.*)\}\s*$/.exec(line);
      if (oneLine) {
        const opened = this.openBlock(current, oneLine[2], oneLine[3], i, oneLine[1].length, counts);
        const offset = line.indexOf('{', oneLine[1].length + oneLine[2].length + oneLine[3].length) + 1;
        for (const m of oneLine[4].matchAll(/([A-Za-z_][\w-]*)\s*=/g)) this.record([...opened, m[1]], i, offset + (m.index ?? 0));
        continue;
      }
      const block = /^(\s*)([A-Za-z_][\w-]*)((?:\s+"(?:[^"\\]|\\.)*"|\s+[A-Za-z_][\w-]*)*)\s*\{\s*$/.exec(line);
      if (block) {
        stack.push(this.openBlock(current, block[2], block[3], i, block[1].length, counts));
        continue;
      }
      const attr = /^(\s*)([A-Za-z_][\w-]*)\s*=/.exec(line);
      if (attr) {
        this.record([...current, attr[2]], i, attr[1].length);
        const doc = /<<-?([A-Za-z_]\w*)\s*$/.exec(line);
        if (doc) heredoc = doc[1];
        valueDepth = Math.max(0, braceBalance(line));
        continue;
      }
      const closes = -braceBalance(line);
      for (let c = 0; c < closes && stack.length > 1; c++) stack.pop();
    }
  }

  /** Records a block header and returns the data path its body becomes (`[…, name, labels…, index]`). */
  private openBlock(parent: (string | number)[], name: string, labelText: string, lineIndex: number, indent: number, counts: Map<string, number>): (string | number)[] {
    const labels = [...labelText.matchAll(/"((?:[^"\\]|\\.)*)"|([A-Za-z_][\w-]*)/g)].map((m) => (m[1] !== undefined ? JSON.parse(`"${m[1]}"`) : m[2]));
    const base = [...parent, name, ...labels];
    const countKey = keyOf(base);
    const index = counts.get(countKey) ?? 0;
    counts.set(countKey, index + 1);
    const opened = [...base, index];
    this.record(base, lineIndex, indent);
    this.record(opened, lineIndex, indent);
    return opened;
  }

  private record(path: (string | number)[], lineIndex: number, indent: number): void {
    const key = keyOf(path);
    if (!this.positions.has(key)) this.positions.set(key, { line: lineIndex + 1, column: indent + 1 });
  }
}

function keyOf(path: DocumentPath): string {
  return JSON.stringify(path);
}

/** Net `{` minus `}` outside strings. */
function braceBalance(line: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '\\' && inString) i++;
    else if (ch === '"') inString = !inString;
    else if (!inString && ch === '{') depth++;
    else if (!inString && ch === '}') depth--;
  }
  return depth;
}

/** Index of a `/*` that starts a comment (outside strings), or -1. */
function blockCommentStart(line: string): number {
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '\\' && inString) i++;
    else if (ch === '"') inString = !inString;
    else if (!inString && ch === '/' && line[i + 1] === '*') return i;
  }
  return -1;
}

/** Drops `#` and `//` comments outside strings. */
function stripComments(line: string): string {
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '\\' && inString) {
      i++;
    } else if (ch === '"') {
      inString = !inString;
    } else if (!inString && (ch === '#' || (ch === '/' && line[i + 1] === '/'))) {
      return line.slice(0, i);
    }
  }
  return line;
}
