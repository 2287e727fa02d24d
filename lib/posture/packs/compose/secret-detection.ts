import { interpolate, UNRESOLVED_MARK, usesInterpolation } from './interpolation';

/**
 * Decides whether an environment variable (or build arg) carries a secret: by its name
 * (`*PASSWORD*`, `*TOKEN*`, `*_KEY` …) and by its value (known credential formats, credentials
 * in URLs, long high-entropy strings), in that order. Values are never echoed in messages.
 */

/** What a variable holds, when it holds a secret. */
export interface SecretVerdict {
  /** `literal`: the value is in the file (critical); `interpolated`: it comes from `${VAR}` (medium). */
  readonly kind: 'literal' | 'interpolated';
  /** Why, without the value, e.g. "looks like a GitHub token". */
  readonly reason: string;
}

const SECRET_NAME =
  /PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|CREDENTIAL|PRIVATE_?KEY|API_?KEY|ACCESS_?KEY|AUTH_?KEY|SIGNING_?KEY|ENCRYPTION_?KEY|MASTER_?KEY|(^|_)PWD$|(^|_)PASS$|_KEY$|^KEY$|(^|_)DSN$|CONNECTION_?STRING|(^|_)SALT$/;

/** Name suffixes that make a secret-sounding name plain configuration (`TOKEN_TTL`, `SECRET_NAME`, `PASSWORD_MIN_LENGTH`). */
const NOT_A_VALUE =
  /_(FILE|PATH|DIR|URL|URI|URLS|ENDPOINT|TTL|EXPIRY|EXPIRES|LIFETIME|LIFESPAN|LENGTH|LEN|SIZE|ALGORITHM|ALG|TYPE|NAME|ID|MODE|ENABLED|DISABLED|HEADER|FIELD|PREFIX|SUFFIX|FORMAT|POLICY|REQUIRED|ISSUER|AUDIENCE|SCOPE|SCOPES|HOST|PORT|USER|USERNAME|ROTATION|VERSION)$/;

/** Known credential formats (as secret scanners and KICS's regex queries know them). */
const VALUE_PATTERNS: readonly { pattern: RegExp; what: string }[] = [
  { pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----/, what: 'a PEM private key' },
  { pattern: /\b(AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b/, what: 'an AWS access key id' },
  { pattern: /\bgh[pousr]_[A-Za-z0-9]{36,}/, what: 'a GitHub token' },
  { pattern: /\bgithub_pat_[A-Za-z0-9_]{22,}/, what: 'a GitHub fine-grained token' },
  { pattern: /\bglpat-[A-Za-z0-9_-]{20,}/, what: 'a GitLab token' },
  { pattern: /\bsk-(?:proj-|ant-|svcacct-)?[A-Za-z0-9_-]{20,}/, what: 'an OpenAI/Anthropic-style API key' },
  { pattern: /\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}/, what: 'a Stripe key' },
  { pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/, what: 'a Slack token' },
  { pattern: /\bhf_[A-Za-z0-9]{30,}/, what: 'a Hugging Face token' },
  { pattern: /\bAIza[0-9A-Za-z_-]{35}/, what: 'a Google API key' },
  { pattern: /\bhv[sbr]\.[A-Za-z0-9_-]{20,}/, what: 'a Vault token' },
  { pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/, what: 'a JSON Web Token' },
];

/** `scheme://user:password@host`: the password part. */
const URL_CREDENTIALS = /^[a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:([^\s@/]+)@/i;

/** Whether a variable name says it holds a secret (`*_FILE` and other path/config names do not). */
export function isSecretName(name: string): boolean {
  const upper = name.toUpperCase();
  return SECRET_NAME.test(upper) && !NOT_A_VALUE.test(upper);
}

/** Shannon entropy in bits per character. */
export function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/**
 * Whether a string looks like a random token: at least 20 characters of a base64/base62
 * alphabet, mixed case and digits, not hex (hashes and digests are hex), high entropy.
 */
export function looksRandom(text: string): boolean {
  if (text.length < 20 || !/^[A-Za-z0-9+/=_-]+$/.test(text) || /^[0-9a-fA-F]+$/.test(text)) return false;
  if (!/[a-z]/.test(text) || !/[A-Z]/.test(text) || !/[0-9]/.test(text)) return false;
  return wordiness(text) <= 0.4 && entropy(text) >= (text.length >= 32 ? 4.2 : 3.9);
}

/**
 * Share of characters in lower-case runs of three or more: high for CamelCase identifiers
 * (`OrderServiceV2Deployment`), low for random tokens, whose case changes every few characters.
 */
function wordiness(text: string): number {
  let inWords = 0;
  for (const run of text.match(/[a-z]{3,}/g) ?? []) inWords += run.length;
  return inWords / text.length;
}

/** Whether a value is a path (a `*_FILE`-style pointer, a key file), not a secret itself. */
function isPath(text: string): boolean {
  return /^(\/|\.\.?\/)[^\s]*$/.test(text);
}

/** Judges one variable; undefined when it carries no secret (or nothing at all: `KEY` alone passes the host value through). */
export function judgeSecret(name: string, value: unknown): SecretVerdict | undefined {
  if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) return undefined;
  const text = String(value).trim();
  if (text === '') return undefined;
  const known = VALUE_PATTERNS.find((p) => p.pattern.test(text));
  if (known) return { kind: 'literal', reason: `its value looks like ${known.what}` };
  const upper = name.toUpperCase();
  if (upper.endsWith('_FILE') && isPath(text)) return undefined;
  const resolved = interpolate(text);
  const interpolated = usesInterpolation(text);
  const urlPassword = URL_CREDENTIALS.exec(resolved.text)?.[1];
  if (urlPassword !== undefined) {
    if (urlPassword.includes(UNRESOLVED_MARK)) return { kind: 'interpolated', reason: 'its URL takes its password from ${…}' };
    return { kind: 'literal', reason: interpolated ? 'its URL gets a literal password from a ${…:-default}' : 'its value is a URL with a literal password' };
  }
  if (isSecretName(name)) {
    if (interpolated) {
      return resolved.text.includes(UNRESOLVED_MARK) || resolved.text.trim() === ''
        ? { kind: 'interpolated', reason: 'its name marks a secret and its value is interpolated from the environment' }
        : { kind: 'literal', reason: 'its name marks a secret and the ${…:-default} gives a literal default' };
    }
    if (isPath(text) || /^(true|false|yes|no|on|off)$/i.test(text)) return undefined;
    return { kind: 'literal', reason: 'its name marks a secret and its value is literal' };
  }
  if (!interpolated && looksRandom(text)) return { kind: 'literal', reason: 'its value is a long high-entropy string' };
  return undefined;
}
