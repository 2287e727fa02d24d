/**
 * The risks and controls of each zone (CONTROLS.md §1), as data the posture report prints per
 * zone. Every control says how this library covers it: a posture rule that checks it at synth
 * (`rules`), the construct that builds it in (`builtBy`), or why it is not covered (`gap`): an
 * auditor reads the gaps as plainly as the rest. Controls that depend on an optional part (the
 * WAF, the scanner, OPA …) are added by the zone that builds the part, or recorded as a gap.
 */

/** One threat of a zone. */
export interface ZoneRisk {
  /** Catalog id: the zone's STRIDE id where CONTROLS.md gives one (`Z1-D1`), else `Zn-THnn`. */
  readonly id: string;
  /** What can go wrong. */
  readonly title: string;
}

/** How one control is covered: exactly one of the three fields. */
export interface ZoneControlCoverage {
  /** Posture rules that check it on the rendered files at every synth. */
  readonly rules?: readonly string[];
  /** The construct that builds it in (so there is nothing to misconfigure). */
  readonly builtBy?: string;
  /** Why it is not covered here. */
  readonly gap?: string;
}

/** One checkable control of a zone. */
export interface ZoneControl extends ZoneControlCoverage {
  /** Catalog id (`Z1-K03`, `INV-05`). */
  readonly id: string;
  /** What it asserts, in one line. */
  readonly title: string;
}

/** The catalog entry of one zone. */
export interface ZoneCatalogEntry {
  /** Threats. */
  readonly risks: readonly ZoneRisk[];
  /** Controls. */
  readonly controls: readonly ZoneControl[];
}

const risks = (zone: number, ...titles: string[]): ZoneRisk[] =>
  titles.map((title, i) => {
    const stride = /^\((Z\d-[A-Z]\d)\) /.exec(title);
    return stride ? { id: stride[1], title: title.slice(stride[0].length) } : { id: `Z${zone}-TH${String(i + 1).padStart(2, '0')}`, title };
  });

const RUNTIME_GAP = 'a runtime behaviour of the service code the user deploys; not visible in configuration';

/** Z0 … Z9, by zone index. */
export const ZONE_CATALOG: readonly ZoneCatalogEntry[] = [
  {
    risks: risks(0, '(Z0-S1) a sender impersonates a source', '(Z0-T1) payload tampered in transit', '(Z0-R1) a source denies having sent data', '(Z0-I1) over-collected or out-of-purpose personal data', 'poisoned or malformed data from a buggy internal system', 'shadow paths around the gateway (SCP, shares, clandestine buckets)'),
    controls: [
      { id: 'Z0-K01', title: 'every source declares owner, contract, classification and purpose', builtBy: 'DataSource (synth fails on a missing field)' },
      { id: 'Z0-K02', title: 'one source, one ingestion route, one sender identity', builtBy: 'Z0Sources (synth fails on a source without a routed connector, a connector without a source, a duplicate)' },
      { id: 'Z0-K03', title: 'a typed contract per source; unknown fields dropped', builtBy: 'IngestionEndpoint (the contract becomes the connector mapping)' },
      { id: 'Z0-K04', title: 'classification from the four-level scale', builtBy: 'DataSource' },
      { id: 'Z0-K06', title: 'no writer to staging outside the registry', rules: ['ZONE-04'] },
    ],
  },
  {
    risks: risks(1, '(Z1-D1) denial of service and unbounded consumption', '(Z1-S1) broken authentication of senders', '(Z1-E1) a sender reaches paths it was not granted', '(Z1-I1) leaks through errors and logs', '(Z1-R1) unreliable access logs', 'malicious uploads and decompression bombs', 'injection, traversal and SSRF through payloads', 'shadow ingress beside the gateway'),
    controls: [
      { id: 'Z1-K01', title: 'only the gateway publishes ports: 443, and 80 that redirects', rules: ['ZONE-02', 'CMP-15', 'TRF-05'] },
      { id: 'Z1-K02', title: 'ingestion routers: exact Host, PathPrefix /ingest/<source>, POST only', rules: ['ZONE-14'] },
      { id: 'Z1-K03', title: 'headers, rate limit, body limit, in-flight limit and auth on every ingestion router', rules: ['ZONE-14', 'TRF-09', 'TRF-11', 'TRF-12', 'TRF-13'] },
      { id: 'Z1-K04', title: 'TLS 1.2+, strict SNI; partners present client certificates', rules: ['TRF-06', 'TRF-07'] },
      { id: 'Z1-K06', title: 'deny by default: one route per source, one sender per source', builtBy: 'Gateway (no catch-all router; unknown paths 404; the verified client certificate forwarded) and IngestionEndpoint (only the source\'s sender CN; anyone else 403, nothing written)' },
      { id: 'Z1-K10', title: 'hygiene: types, ranges, enums; failures quarantined', builtBy: 'IngestionEndpoint' },
      { id: 'Z1-K11', title: 'connectors write staging only; never raw', rules: ['ZONE-04'] },
      { id: 'Z1-K13', title: 'JSON access log without Authorization or Cookie', rules: ['TRF-19'] },
      { id: 'Z1-K14', title: 'generic error bodies', gap: RUNTIME_GAP },
    ],
  },
  {
    risks: risks(2, '(Z2-S1) a stolen identity reads raw data', '(Z2-I1) a bucket made public', '(Z2-T1) raw objects tampered with or deleted', '(Z2-R1) data events not logged', '(Z2-D1) cost or capacity exhaustion', 'training or notebooks reading raw data', 'shadow writes into raw'),
    controls: [
      { id: 'Z2-K01', title: 'MinIO only on internal data networks: no router, no host port', rules: ['ZONE-03', 'ZONE-02'] },
      { id: 'Z2-K03', title: 'raw is versioned and object-locked', builtBy: 'Z2RawLake (raw created with object lock, GOVERNANCE)' },
      { id: 'Z2-K05', title: 'per-identity bucket policies; nobody gets s3:* on raw', builtBy: 'MinioBucket grants (one policy per workload, prefix-scoped)' },
      { id: 'Z2-K06', title: 'staging expires within 3 days', builtBy: 'Z2RawLake (ILM expiry rule)' },
      { id: 'Z2-K11', title: 'MinIO root credentials only in Vault; one user per service', builtBy: 'MinioServer (root key delivered to the bootstrap folder, users per grant)' },
      { id: 'INV-04', title: 'raw writers are promote jobs; staging writers are Z1 connectors', rules: ['ZONE-04'] },
      { id: 'INV-18', title: 'only security identities read quarantine', rules: ['ZONE-18'] },
    ],
  },
  {
    risks: risks(3, 'garbage in and schema drift', 'personal data in curated data or features', 'target leakage into features', 'bypass: consumers reading raw', 'missing lineage', 'tampered features or embeddings'),
    controls: [
      { id: 'Z3-K05', title: 'database roles per purpose, read-only readers', builtBy: 'PostgresServer.grantConnect (Vault-issued, privilege-scoped users)' },
      { id: 'Z3-K07', title: 'online Redis on an internal network, ACL user per client, no host port', rules: ['ZONE-03', 'ZONE-30'] },
      { id: 'Z3-K10', title: 'consumers hold no database credentials', rules: ['ZONE-10'] },
      { id: 'INV-16', title: 'data volumes on an encrypted host volume', gap: 'host disk encryption is outside the compose project; the operator runbook must provide it' },
    ],
  },
  {
    risks: risks(4, 'malicious dependencies or base images', 'poisoning and backdoors', 'membership inference and inversion', 'exfiltration from training', 'secrets in code', 'resource abuse'),
    controls: [
      { id: 'Z4-K01', title: 'training and workbench have no internet egress', rules: ['ZONE-08'] },
      { id: 'Z4-K02', title: 'the factory reaches no raw data and no database directly', rules: ['ZONE-05'] },
      { id: 'Z4-K03', title: 'secrets only from Vault Agent files', rules: ['ZONE-11', 'CMP-24'] },
      { id: 'Z4-K05', title: 'images by exact tag or digest, never :latest', rules: ['CMP-22', 'CMP-23'] },
      { id: 'Z4-K08', title: 'adversarial security gates', gap: 'test batteries run in CI on the model, not in the platform configuration' },
    ],
  },
  {
    risks: risks(5, 'artifact swapped after approval', 'promotion without evidence', 'a revoked version served', 'privilege abuse and cross-tenant downloads'),
    controls: [
      { id: 'Z5-K10', title: 'registry never public; reachable only from CI and serving fetchers', rules: ['ZONE-01', 'ZONE-30'] },
      { id: 'INV-12', title: 'transit/sign/model-sign only for the CI signing role', rules: ['VLT-14', 'VLT-20'] },
    ],
  },
  {
    risks: risks(6, 'API abuse and denial of service', 'broken authentication or tenant escape', 'an unapproved or tampered model served', 'prompt injection and exfiltration through the LLM', 'personal data in responses', 'model extraction by scraping'),
    controls: [
      { id: 'Z6-K01', title: 'per-model router: POST, headers, rate limit, 512 KiB body, in-flight limit, auth', rules: ['ZONE-14', 'TRF-11', 'TRF-12', 'TRF-13'] },
      { id: 'Z6-K02', title: 'the gateway verifies backend certificates; no plain HTTP to models', rules: ['TRF-16', 'ZONE-15'] },
      { id: 'Z6-K03', title: 'model servers: no host port, internal networks only', rules: ['ZONE-02', 'ZONE-30'] },
      { id: 'Z6-K05', title: 'container baseline on model servers', rules: ['ZONE-13'] },
      { id: 'Z6-K04', title: 'model servers start only after a fetch job verified the released model; models read-only, never from a host path', rules: ['ZONE-06'] },
      { id: 'Z6-K07', title: 'the LLM gateway is the only way to a model provider', rules: ['ZONE-08'] },
    ],
  },
  {
    risks: risks(7, 'direct bucket or table reads', 'purpose creep', 'chatbot prompt injection', 'enumeration and cross-tenant reads'),
    controls: [
      { id: 'Z7-K01', title: 'consumers hold no storage credentials', rules: ['ZONE-10'] },
      { id: 'Z7-K03', title: 'client-side resilience', gap: 'lives in the consumer SDK, outside the platform' },
    ],
  },
  {
    risks: risks(8, 'hard-coded or long-lived secrets', 'key misuse', 'weak authorization and tenant escape', 'fail-open policy decisions', 'shadow identities', 'missing evidence'),
    controls: [
      { id: 'Z8-K01', title: 'Vault listens TLS only, is never routed, audits', rules: ['VLT-01', 'VLT-02', 'ZONE-01'] },
      { id: 'Z8-K02', title: 'AppRole with wrapped secret ids; secrets rendered to tmpfs files', rules: ['ZONE-11'] },
      { id: 'Z8-K03', title: 'one least-privilege policy per service', rules: ['VLT-14', 'VLT-15', 'VLT-16', 'VLT-18', 'VLT-19', 'VLT-20'] },
      { id: 'Z8-K05', title: 'transit keys per purpose, non-exportable', builtBy: 'Z8SecurityServices (model-sign, pii, audit-log, envelope keys)' },
      { id: 'Z8-K07', title: 'PKCE, short tokens, rotation, MFA for admins', rules: ['KC-08', 'KC-12', 'KC-13', 'KC-17', 'KC-18'] },
    ],
  },
  {
    risks: risks(9, 'blind spots', 'personal data or secrets in telemetry', 'tampered or incomplete audit trail', 'alert fatigue'),
    controls: [
      { id: 'Z9-K01', title: 'logs never carry Authorization, Cookie or Set-Cookie', rules: ['TRF-19'] },
      { id: 'Z9-K08', title: 'observability UIs never public, or behind OIDC and an allow-list', rules: ['ZONE-01', 'TRF-14'] },
    ],
  },
];
