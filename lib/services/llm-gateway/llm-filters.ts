/**
 * The gateway's input and output filters, as LiteLLM's built-in `litellm_content_filter`
 * guardrail reads them (LiteLLM 1.80.11): regular expressions (Python `re`, compiled
 * case-insensitively) or the names of its prebuilt patterns, each with BLOCK (the request is
 * refused with 403) or MASK (the match is replaced by `[<NAME>_REDACTED]`).
 */

/** One pattern of a content filter. */
export interface LlmFilterPattern {
  /** Its name (lower-case letters, digits and "_"): in the error or the redaction tag. */
  readonly name: string;
  /** A Python regular expression (matched case-insensitively). */
  readonly regex: string;
}

/** A pattern as LiteLLM's content filter reads it. */
export type ContentFilterPattern =
  | { readonly pattern_type: 'regex'; readonly name: string; readonly pattern: string; readonly action: 'BLOCK' | 'MASK' }
  | { readonly pattern_type: 'prebuilt'; readonly pattern_name: string; readonly action: 'BLOCK' | 'MASK' };

/**
 * Prompt-injection phrases refused before the provider is called (CONTROLS.md Z6-K07). Kept to
 * phrases, not single words, so ordinary questions pass.
 */
export const INJECTION_PATTERNS: readonly LlmFilterPattern[] = [
  { name: 'ignore_previous', regex: '(ignore|disregard|forget)\\s+(all\\s+|any\\s+|the\\s+|your\\s+)*(previous|prior|above|earlier)\\s+(instructions|prompts?|rules|messages)' },
  { name: 'reveal_system_prompt', regex: '(reveal|show|print|repeat|output|disclose|leak)\\s+(me\\s+)?(your\\s+|the\\s+)?(system\\s+prompt|hidden\\s+instructions|initial\\s+instructions)' },
  { name: 'jailbreak', regex: 'jail\\s*break|developer\\s+mode\\s+enabled|\\bDAN\\s+mode\\b' },
];

/**
 * Zero-width, bidirectional-override and other invisible format characters. LiteLLM's filter
 * cannot rewrite input before the other patterns run, so instead of normalizing them the gateway
 * refuses any input that carries one: they have no place in a chat prompt and are the usual way to
 * split a phrase ("ig\u200Bnore previous") past a pattern or hide text (RTL override).
 */
export const INVISIBLE_CHARACTERS: LlmFilterPattern = {
  name: 'invisible_characters',
  regex: '[\\u00AD\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF]',
};

/** Secrets that must never be sent to a provider (Z6-K07: no secrets in prompts). */
export const INPUT_SECRET_PATTERNS: readonly LlmFilterPattern[] = [
  { name: 'private_key', regex: '-----BEGIN [A-Z ]*PRIVATE KEY-----' },
  { name: 'bearer_api_key', regex: '\\b(sk|rk|pk)-[A-Za-z0-9_-]{20,}' },
];

/** LiteLLM's prebuilt output patterns the gateway masks in every answer (Z6-K07 output DLP). */
export const OUTPUT_PREBUILT_PATTERNS: readonly string[] = ['br_cpf', 'br_cpf_unformatted', 'credit_card', 'email', 'aws_access_key', 'aws_secret_key', 'github_token', 'slack_token'];

/** Own output patterns masked besides the prebuilt ones: provider-style API keys and private keys. */
export const OUTPUT_SECRET_PATTERNS: readonly LlmFilterPattern[] = [
  { name: 'api_key', regex: '\\b(sk|rk|pk)-[A-Za-z0-9_-]{20,}' },
  { name: 'private_key', regex: '-----BEGIN [A-Z ]*PRIVATE KEY-----[\\s\\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)' },
];

/** The BLOCK patterns of the input filter: injection phrases, invisible characters, secrets, then the user's own. */
export function inputFilterPatterns(extra: readonly LlmFilterPattern[]): ContentFilterPattern[] {
  return [...INJECTION_PATTERNS, INVISIBLE_CHARACTERS, ...INPUT_SECRET_PATTERNS, ...extra]
    .map((p) => ({ pattern_type: 'regex' as const, name: p.name, pattern: p.regex, action: 'BLOCK' as const }));
}

/** The MASK patterns of the output filter. */
export function outputFilterPatterns(extra: readonly LlmFilterPattern[]): ContentFilterPattern[] {
  return [
    ...OUTPUT_PREBUILT_PATTERNS.map((name) => ({ pattern_type: 'prebuilt' as const, pattern_name: name, action: 'MASK' as const })),
    ...[...OUTPUT_SECRET_PATTERNS, ...extra].map((p) => ({ pattern_type: 'regex' as const, name: p.name, pattern: p.regex, action: 'MASK' as const })),
  ];
}

/** Why a user pattern is refused, or undefined. JavaScript's parser stands in for Python's on the common subset. */
export function filterPatternProblem(prop: string, p: LlmFilterPattern): string | undefined {
  if (typeof p?.name !== 'string' || !/^[a-z][a-z0-9_]{0,40}$/.test(p.name)) {
    return `prop '${prop}.name' must be lower-case letters, digits and "_", starting with a letter (got ${JSON.stringify(p?.name)})`;
  }
  if (typeof p.regex !== 'string' || p.regex.length === 0 || p.regex.length > 500 || /[\n\r]/.test(p.regex)) {
    return `prop '${prop}.regex' must be a one-line regular expression of 1 to 500 characters (got ${JSON.stringify(p.regex)})`;
  }
  // Python-only syntax (named groups `(?P<…>`) is refused too: one grammar both sides read alike.
  try {
    new RegExp(p.regex, 'i');
  } catch (e) {
    return `prop '${prop}.regex' must be a valid regular expression: ${(e as Error).message}`;
  }
  return undefined;
}
