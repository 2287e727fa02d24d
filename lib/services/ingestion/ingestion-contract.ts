import { describeValue } from '../../core/prop-rules';

/** The type a field of an ingested record must have. */
export type FieldType = 'string' | 'number' | 'integer' | 'boolean' | 'timestamp';

/** One field of a source's data contract. */
export interface FieldRule {
  /** Its JSON type (`timestamp`: an RFC 3339 string). */
  readonly type: FieldType;
  /**
   * Whether a record without it is rejected.
   * @default true
   */
  readonly required?: boolean;
  /**
   * Smallest allowed value (numbers) or length in UTF-8 bytes (strings); not for booleans or timestamps.
   * @default no bound
   */
  readonly min?: number;
  /**
   * Largest allowed value (numbers) or length in UTF-8 bytes (strings); not for booleans or timestamps.
   * @default no bound (strings: 256 bytes)
   */
  readonly max?: number;
  /**
   * The only values allowed (strings).
   * @default any
   */
  readonly oneOf?: string[];
}

/**
 * A source's data contract (CONTROLS.md Z1-K10): the fields a record may carry, their types and
 * ranges. Records are rebuilt from the listed fields only (anything else is dropped), so the
 * contract is also the allow-list of what reaches the lake.
 */
export interface IngestionContract {
  /** Field name → rule. Names: lower-case letters, digits and "_". */
  readonly fields: Readonly<Record<string, FieldRule>>;
}

const FIELD = /^[a-z][a-z0-9_]{0,62}$/;
const RULE_KEYS = ['type', 'required', 'min', 'max', 'oneOf'];
/** Bounds are written into the mapping as plain decimals; Bloblang reads no exponent notation. */
const BOUND_LIMIT = 1e15;
const ENUM_VALUE = /^[A-Za-z0-9_.:-]{1,64}$/;
const TYPES: readonly FieldType[] = ['string', 'number', 'integer', 'boolean', 'timestamp'];

/** Problems with a contract, naming the field. */
export function contractProblems(contract: IngestionContract | undefined): string[] {
  const fields = contract?.fields;
  if (!fields || typeof fields !== 'object' || Object.keys(fields).length === 0) return [`prop 'contract.fields' must name at least one field (got ${describeValue(fields)})`];
  const out: string[] = [];
  for (const [name, rule] of Object.entries(fields)) {
    const prop = (key: string) => `prop 'contract.fields.${name}.${key}'`;
    if (!FIELD.test(name)) out.push(`prop 'contract.fields': field name ${describeValue(name)} must be lower-case letters, digits and "_"`);
    if (!TYPES.includes(rule?.type)) out.push(`${prop('type')} must be one of ${TYPES.join(', ')} (got ${describeValue(rule?.type)})`);
    for (const key of Object.keys(rule ?? {}).filter((k) => !RULE_KEYS.includes(k))) out.push(`${prop(key)} is not a contract rule (allowed: ${RULE_KEYS.join(', ')})`);
    if (rule?.required !== undefined && typeof rule.required !== 'boolean') out.push(`${prop('required')} must be true or false (got ${describeValue(rule.required)})`);
    for (const bound of ['min', 'max'] as const) {
      const v = rule?.[bound];
      if (v === undefined) continue;
      if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > BOUND_LIMIT) out.push(`${prop(bound)} must be a finite number within ±1e15 (got ${describeValue(v)})`);
      else if (rule.type === 'boolean' || rule.type === 'timestamp') out.push(`${prop(bound)} applies to number, integer and string fields only (this is a ${rule.type})`);
    }
    if (typeof rule?.min === 'number' && typeof rule?.max === 'number' && rule.min > rule.max) out.push(`${prop('min')} ${rule.min} is above max ${rule.max}`);
    if (rule?.oneOf !== undefined) {
      if (rule.type !== 'string') out.push(`${prop('oneOf')} applies to string fields only`);
      if (!Array.isArray(rule.oneOf) || rule.oneOf.length === 0 || !rule.oneOf.every((v) => typeof v === 'string' && ENUM_VALUE.test(v))) {
        out.push(`${prop('oneOf')} must be a non-empty list of values of letters, digits and _.:- (got ${describeValue(rule.oneOf)})`);
      }
    }
  }
  return out;
}

/**
 * The contract as a Bloblang mapping: the record must be an object; each field is type- and
 * range-checked and copied, everything else dropped; any violation throws (the record is then
 * quarantined). Field names and enum values are validated above, so they cannot break out of
 * the quoted strings they appear in.
 */
export function contractMapping(contract: IngestionContract): string {
  // Plain decimal, never exponent notation (1e-7 would not parse as Bloblang). String() writes
  // exponents only below 1e-6 here (bounds are within ±1e15); toFixed spells those out.
  // (Not toLocaleString: loading ICU's number formatting costs ~20 ms at first use.)
  const num = (n: number) => {
    const s = String(n);
    return s.includes('e') ? n.toFixed(20).replace(/0+$/, '').replace(/\.$/, '') : s;
  };
  const lines = ['root = if this.type() != "object" { throw("the body must be a JSON object") } else { {} }'];
  for (const [name, rule] of Object.entries(contract.fields)) {
    const v = `this.${name}`;
    const required = rule.required ?? true;
    const checks: string[] = [];
    switch (rule.type) {
      case 'string':
      case 'timestamp':
        checks.push(`${v}.type() != "string"`);
        if (rule.type === 'timestamp') checks.push(`${v}.ts_parse("2006-01-02T15:04:05Z07:00").catch(null) == null`);
        else {
          checks.push(`${v}.length() < ${num(rule.min ?? 0)}`, `${v}.length() > ${num(rule.max ?? 256)}`);
          if (rule.oneOf) checks.push(`![${rule.oneOf.map((x) => JSON.stringify(x)).join(', ')}].contains(${v})`);
        }
        break;
      case 'number':
      case 'integer':
        checks.push(`${v}.type() != "number"`);
        if (rule.type === 'integer') checks.push(`${v} != ${v}.floor()`);
        if (rule.min !== undefined) checks.push(`${v} < ${num(rule.min)}`);
        if (rule.max !== undefined) checks.push(`${v} > ${num(rule.max)}`);
        break;
      case 'boolean':
        checks.push(`${v}.type() != "bool"`);
        break;
    }
    const problem = `throw("field ${name} violates the contract")`;
    const assign = `root.${name} = if ${checks.join(' || ')} { ${problem} } else { ${v} }`;
    lines.push(required ? `root.${name} = if ${v}.type() == "null" { throw("field ${name} is required") } else { ${v} }` : '', required ? assign : `root.${name} = if ${v}.type() == "null" { deleted() } else if ${checks.join(' || ')} { ${problem} } else { ${v} }`);
  }
  return lines.filter((l) => l !== '').join('\n') + '\n';
}
