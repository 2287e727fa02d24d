import Ajv from 'ajv';
import standaloneCode from 'ajv/dist/standalone';

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
  return `${header.trim()}\n// @ts-nocheck\n/* eslint-disable */\n${imports.join('\n')}\n${body.replace(/^"use strict";/, '')}\n`;
}
