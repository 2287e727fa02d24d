import Ajv from 'ajv';
import standaloneCode from 'ajv/dist/standalone';
import * as ts from 'typescript';

/**
 * A JSON schema precompiled into a standalone ajv validator module (TypeScript source): compiling
 * a large schema at run time costs 80–250 ms per process, loading the module about 10 ms. The
 * options must match those the callers used to compile with (`allErrors`, not strict).
 */
export function standaloneValidatorModule(schema: object, header: string, options: { strict?: boolean; allowUnionTypes?: boolean; verbose?: boolean } = {}): string {
  const ajv = new Ajv({ allErrors: true, strict: false, ...options, code: { source: true, esm: true } });
  const code = standaloneCode(ajv, ajv.compile(schema));
  const imports: string[] = [];
  const body = code.replace(/require\("ajv\/dist\/runtime\/([a-z0-9]+)"\)\.default/g, (_m, name: string) => {
    const local = `ajvRuntime_${name}`;
    if (!imports.some((i) => i.includes(local))) imports.push(`import ${local} from 'ajv/dist/runtime/${name}';`);
    return local;
  });
  if (/require\(/.test(body)) throw new Error('unexpected require() in the standalone validator; extend standaloneValidatorModule');
  return `${header.trim()}\n// @ts-nocheck\n/* eslint-disable */\n${imports.join('\n')}\n${compiledOnLoad(body.replace(/^"use strict";/, ''))}\n`;
}

/**
 * Rewrites ajv's `function validateN(…) {…}` declarations as parenthesized function expressions
 * (`const validateN = (function validateN(…) {…});`), which V8 compiles when the module loads
 * instead of on the first call: the validators are a few hundred KB of code that every synth
 * runs, so compiling them is per-process setup, not work of the first synth. The export lines
 * move to the end (a `const` is not readable before its declaration).
 */
function compiledOnLoad(code: string): string {
  const exportLines = /^export const validate = (validate\d+);export default \1;/;
  const entry = exportLines.exec(code)?.[1];
  if (entry === undefined) throw new Error('unexpected export shape in the standalone validator; extend compiledOnLoad');
  const rest = code.slice(exportLines.exec(code)![0].length);
  const file = ts.createSourceFile('validator.js', rest, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  let out = '';
  let copied = 0;
  for (const statement of file.statements) {
    if (!ts.isFunctionDeclaration(statement) || !statement.name || !/^validate\d+$/.test(statement.name.text)) continue;
    const start = statement.getStart(file);
    out += `${rest.slice(copied, start)}const ${statement.name.text} = (${rest.slice(start, statement.getEnd())});`;
    copied = statement.getEnd();
  }
  out += rest.slice(copied);
  return `${out}\nexport const validate = ${entry};\nexport default ${entry};`;
}
