import type { PostureModel } from '../../posture-model';
import type { Rule, RuleHit } from '../../rule';
import type { ServiceNode } from '../../service-graph';
import type { SourceDocument } from '../../source-document';
import { ServiceRoles } from './service-roles';

/**
 * The data-access invariants (CONTROLS.md INV-04, INV-05, INV-10, INV-18), read from two kinds of
 * rendered files: the MinIO policy of each service (`<minio>/policies/<service>.json`, kind
 * `s3-policy`) and the compose flows. Lake buckets are known by their catalog names (`raw`,
 * `staging`, `quarantine`, CONTROLS.md Z2-K02), so a policy written by hand is judged the same way.
 */
interface BucketGrant {
  readonly service: string;
  readonly bucket: string;
  readonly access: 'read' | 'write';
  readonly document: SourceDocument;
  readonly path: (string | number)[];
}

const WRITE = /^s3:(Put|Delete|AbortMultipartUpload|Restore|\*$)/;
/** Reads objects or names; listing the parts of one's own upload is part of writing. */
const READ = /^s3:(Get|List(?!MultipartUploadParts$)|\*$)/;

function bucketGrants(model: PostureModel): BucketGrant[] {
  const out: BucketGrant[] = [];
  for (const doc of model.ofKind('s3-policy')) {
    const service = /([^/]+)\.json$/.exec(doc.file)?.[1] ?? doc.file;
    const statements: any[] = Array.isArray(doc.data?.Statement) ? doc.data.Statement : [];
    statements.forEach((st, i) => {
      if (st?.Effect !== 'Allow') return;
      const actions: string[] = [st.Action].flat().filter((a): a is string => typeof a === 'string');
      const buckets = new Set([st.Resource].flat().filter((r): r is string => typeof r === 'string').map((r) => r.replace(/^arn:aws:s3:::/, '').split('/')[0]));
      for (const bucket of buckets) {
        for (const access of ['read', 'write'] as const) {
          if (actions.some((a) => (access === 'write' ? WRITE : READ).test(a))) out.push({ service, bucket, access, document: doc, path: ['Statement', i] });
        }
      }
    });
  }
  return out;
}

function servicesByName(model: PostureModel): Map<string, ServiceNode> {
  return new Map(model.serviceGraphs().flatMap((g) => g.services.map((s) => [s.name, s] as const)));
}

/** Declared flows from `s` to a data store of the given zones. */
function storeFlows(s: ServiceNode, byName: Map<string, ServiceNode>, zones: readonly string[]): ServiceNode[] {
  return s.flows.map((f) => byName.get(f.to)).filter((t): t is ServiceNode => t !== undefined && ServiceRoles.isDataStore(t) && t.zone !== undefined && zones.includes(t.zone));
}

const isLake = (bucket: string, name: string) => bucket === name || bucket.startsWith(`${name}-`);

/** INV-04: raw is written only by promote jobs, staging only by Z1 connectors. */
export const ZONE_04: Rule = {
  id: 'ZONE-04',
  title: 'Raw is written only by promote jobs, staging only by Z1 connectors',
  severity: 'critical',
  level: 'error',
  priority: 'P1',
  rationale: 'Source data reaches the lake only through Z1 → staging → promote → raw, so every raw object passed the contract, the scan and the hash check; a CI, human or factory identity writing raw or staging is a poisoning path (CONTROLS.md INV-04, Z1-K11, Z2-K05).',
  remediation: 'Grant write on `staging` only to Z1 ingestion connectors and on `raw` only to the promote job (role raw-promoter); give everything else read grants at most.',
  controls: { 'nist-800-53-r5': ['AC-3', 'AC-6', 'SI-7'], 'csa-aicm': ['DSP', 'IAM'], 'owasp-ml-2023': ['ML02'], 'owasp-llm-2025': ['LLM04'] },
  kinds: ['s3-policy', 'compose'],
  check(model) {
    const byName = servicesByName(model);
    const hits: RuleHit[] = [];
    for (const g of bucketGrants(model).filter((x) => x.access === 'write')) {
      const s = byName.get(g.service);
      if (isLake(g.bucket, 'raw') && s?.role !== 'raw-promoter') {
        hits.push({ document: g.document, path: g.path, message: `service '${g.service}' may write the raw bucket '${g.bucket}' but is not the promote job (role raw-promoter)`, granular: `${g.service}:${g.bucket}` });
      } else if (isLake(g.bucket, 'staging') && s?.zone !== 'z1') {
        hits.push({ document: g.document, path: g.path, message: `service '${g.service}' (zone ${s?.zone ?? 'unknown'}) may write the staging bucket '${g.bucket}'; only Z1 connectors may`, granular: `${g.service}:${g.bucket}` });
      }
    }
    return hits;
  },
};

/** INV-05: the factory never reads raw and reaches Z3 only through the access broker. */
export const ZONE_05: Rule = {
  id: 'ZONE-05',
  title: 'The model factory reaches no raw data and no Z2/Z3 store directly',
  severity: 'critical',
  level: 'error',
  priority: 'P1',
  rationale: 'Training on raw data skips curation, tokenization and the data-quality gate, and a direct path from the factory to the stores lets a notebook exfiltrate them; Z4 reads curated data only through the access broker (CONTROLS.md INV-05, Z4-K02).',
  remediation: 'Remove the Z4 workload\'s lake grant or its flow to the store; read curated data through the access broker.',
  controls: { 'nist-800-53-r5': ['AC-4', 'AC-6', 'SC-7'], 'csa-aicm': ['DSP', 'IVS'], 'owasp-ml-2023': ['ML02', 'ML04'], 'owasp-llm-2025': ['LLM02', 'LLM04'] },
  kinds: ['s3-policy', 'compose'],
  check(model) {
    const byName = servicesByName(model);
    const hits: RuleHit[] = [];
    for (const g of bucketGrants(model)) {
      if (byName.get(g.service)?.zone === 'z4' && ['raw', 'staging', 'quarantine'].some((b) => isLake(g.bucket, b))) {
        hits.push({ document: g.document, path: g.path, message: `factory service '${g.service}' holds a ${g.access} grant on the lake bucket '${g.bucket}'`, granular: `${g.service}:${g.bucket}` });
      }
    }
    for (const s of byName.values()) {
      if (s.zone !== 'z4') continue;
      for (const store of storeFlows(s, byName, ['z2', 'z3'])) {
        hits.push({ document: s.document, path: ['services', s.name, 'x-mlsec', 'flows'], message: `factory service '${s.name}' has a flow to the ${store.zone} data store '${store.name}'`, granular: `${s.name}:${store.name}` });
      }
    }
    return hits;
  },
};

/** INV-10: consumers hold no storage credentials and reach no data store. */
export const ZONE_10: Rule = {
  id: 'ZONE-10',
  title: 'Consumers reach data only through APIs, never a store',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale: 'The golden rule of Z7: business apps read scores and predictions through the serving APIs, so purpose, masking and limits apply; a bucket key or a database flow in a consumer bypasses all of them (CONTROLS.md INV-10, Z7-K01, Z3-K10).',
  remediation: 'Remove the Z7 workload\'s bucket grant or store flow; give it an API client (scores, predictions) instead.',
  controls: { 'nist-800-53-r5': ['AC-3', 'AC-6'], 'csa-aicm': ['DSP', 'IAM'], 'owasp-llm-2025': ['LLM02'] },
  kinds: ['s3-policy', 'compose'],
  check(model) {
    const byName = servicesByName(model);
    const hits: RuleHit[] = [];
    for (const g of bucketGrants(model)) {
      if (byName.get(g.service)?.zone === 'z7') hits.push({ document: g.document, path: g.path, message: `consumer service '${g.service}' holds a ${g.access} grant on bucket '${g.bucket}'`, granular: `${g.service}:${g.bucket}` });
    }
    for (const s of byName.values()) {
      if (s.zone !== 'z7') continue;
      for (const store of storeFlows(s, byName, ['z2', 'z3', 'z4', 'z5', 'z6', 'z8'])) {
        hits.push({ document: s.document, path: ['services', s.name, 'x-mlsec', 'flows'], message: `consumer service '${s.name}' has a flow to the data store '${store.name}'`, granular: `${s.name}:${store.name}` });
      }
    }
    return hits;
  },
};

/** INV-18: only security identities read quarantine. */
export const ZONE_18: Rule = {
  id: 'ZONE-18',
  title: 'Only security identities read the quarantine',
  severity: 'high',
  level: 'error',
  priority: 'P1',
  rationale: 'Quarantined payloads are suspected malware or poisoning; a training, curation or serving identity reading them brings them back into the pipeline (CONTROLS.md INV-18, Z2-K05).',
  remediation: 'Grant read on `quarantine` only to a forensics workload with role security-forensics; connectors write it, nobody else reads it.',
  controls: { 'nist-800-53-r5': ['AC-3', 'SI-3'], 'csa-aicm': ['DSP', 'TVM'], 'owasp-ml-2023': ['ML02'], 'owasp-llm-2025': ['LLM04'] },
  kinds: ['s3-policy', 'compose'],
  check(model) {
    const byName = servicesByName(model);
    return bucketGrants(model)
      .filter((g) => g.access === 'read' && isLake(g.bucket, 'quarantine') && byName.get(g.service)?.role !== 'security-forensics')
      .map((g) => ({ document: g.document, path: g.path, message: `service '${g.service}' may read the quarantine bucket '${g.bucket}' but is not a security identity (role security-forensics)`, granular: `${g.service}:${g.bucket}` }));
  },
};
