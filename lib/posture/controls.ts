/**
 * The frameworks a rule maps to. Ids follow the corrected ("normalized") references of
 * CONTROLS.md §3: OWASP LLM Top 10 2025 (LLM01…LLM10), OWASP ML Top 10 2023 (ML01…ML10), CIS
 * Docker Benchmark 1.6 (section ids like 5.25), NIST SP 800-53 r5 (AC-6, SC-8 …), CSA AICM
 * domains (IAM, DSP, CEK, IVS, LOG, …) and NIST AI RMF functions (GOVERN, MAP, MEASURE, MANAGE).
 */
export type Framework = 'owasp-llm-2025' | 'owasp-ml-2023' | 'cis-docker-1.6' | 'nist-800-53-r5' | 'csa-aicm' | 'nist-ai-rmf';

/** Control references of one rule, per framework. */
export type ControlRefs = { readonly [F in Framework]?: readonly string[] };

/** Every framework, in report order, with its display title. */
export const FRAMEWORKS: readonly { readonly id: Framework; readonly title: string }[] = [
  { id: 'owasp-llm-2025', title: 'OWASP Top 10 for LLM Applications 2025' },
  { id: 'owasp-ml-2023', title: 'OWASP Machine Learning Security Top 10 2023' },
  { id: 'cis-docker-1.6', title: 'CIS Docker Benchmark v1.6.0' },
  { id: 'nist-800-53-r5', title: 'NIST SP 800-53 Rev. 5' },
  { id: 'csa-aicm', title: 'CSA AI Controls Matrix (AICM) v1 domains' },
  { id: 'nist-ai-rmf', title: 'NIST AI Risk Management Framework 1.0 functions' },
];
