/**
 * Small, reusable prop checks. Each returns a message (naming the prop, what is allowed and what
 * was given) or undefined when the value is fine; constructs collect them in `validate()`.
 */

/** Renders a user value for an error message without letting it break the line. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? value.slice(0, 77) + '...' : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? text.slice(0, 77) + '...' : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** An integer within [min, max]. */
export function checkInteger(prop: string, value: unknown, min: number, max: number): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    return `prop '${prop}' must be an integer from ${min} to ${max} (got ${describeValue(value)})`;
  }
  return undefined;
}

/** A finite number within [min, max]. */
export function checkNumber(prop: string, value: unknown, min: number, max: number): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    return `prop '${prop}' must be a number from ${min} to ${max} (got ${describeValue(value)})`;
  }
  return undefined;
}

/** A string matching a pattern, described in words for the error. */
export function checkPattern(prop: string, value: unknown, pattern: RegExp, allowed: string): string | undefined {
  if (typeof value !== 'string' || !pattern.test(value)) {
    return `prop '${prop}' must be ${allowed} (got ${describeValue(value)})`;
  }
  return undefined;
}

/** A justification for weakening a hardened default: real words, not a placeholder. */
export function checkReason(prop: string, reason: unknown): string | undefined {
  if (typeof reason !== 'string' || reason.trim().length < 10) {
    return `prop '${prop}' needs a reason of at least 10 characters explaining why the hardened default is lifted (got ${describeValue(reason)})`;
  }
  return undefined;
}

/**
 * The opt-out of a control that is on by default: absent (on), or exactly
 * `{ enabled: false, reason }` with a reason of at least 10 characters.
 */
export function checkOptOut(prop: string, value: unknown, what: string): string | undefined {
  if (value === undefined) return undefined;
  const v = value as { enabled?: unknown; reason?: unknown } | null;
  if (v !== null && typeof v === 'object' && v.enabled === false && typeof v.reason === 'string' && v.reason.trim().length >= 10) return undefined;
  return `prop '${prop}' turns ${what} off only as { enabled: false, reason: '<why, at least 10 characters>' } (got ${describeValue(value)})`;
}

/** Collects the defined messages of several checks. */
export function collect(...messages: (string | undefined)[]): string[] {
  return messages.filter((m): m is string => m !== undefined);
}

/** An absolute container path without `..` segments or control characters. */
export function checkContainerPath(prop: string, value: unknown): string | undefined {
  return checkPattern(
    prop,
    value,
    /^(?!.*(^|\/)\.\.?(\/|$))(?!.*\/\/)(?!.*\/$)\/[A-Za-z0-9._@+\-/]+$/,
    'an absolute container path below "/" of letters, digits and ._@+-/, without ".", ".." or empty segments and without a trailing "/"',
  );
}
