import type { AlertThresholds } from './alert-thresholds';
import { counter, gauge, num, SecurityAlertRule, sel } from './security-alert-rule';

/** DNS names of the edge certificate in the rules' tests. */
const EDGE_SANS = 'lab.example.com,infer.lab.example.com';

/**
 * Alert rules on the platform behind the doors: trust services (Z8), the lake (Z2), curated data
 * (Z3), the object lock and mTLS posture (Z9-K04) and the telemetry pipeline itself. Metric
 * contract: Vault/OpenBao `vault_core_unsealed` and `up` of the target labelled
 * `component="vault"`; MinIO `minio_s3_requests_rejected_auth_total`; OPA's
 * `last_success_bundle_activation` (ns); the enforcement points' `opa_denies_total{policy}`; Traefik's
 * `traefik_tls_certs_not_after`; Z3-K09 `dataset_freshness_seconds{dataset}` and
 * `dq_failures_total{dataset}`; Z9-K04 `s3_object_lock_enabled{bucket}` and
 * `traffic_without_mtls{route}`; Prometheus' `up` and Alertmanager's own counters.
 */
export function platformAlertRules(t: Required<AlertThresholds>): SecurityAlertRule[] {
  const ageMinutes = Math.ceil(t.opaBundleMaxAgeSeconds / 60);
  const expiry = t.certificateExpiryDays * 86400;
  const edgeCert = (serial: string, notAfter: number) => ({ series: sel('traefik_tls_certs_not_after', { cn: 'lab.example.com', sans: EDGE_SANS, serial }), values: gauge(notAfter, 30) });
  return [
    {
      alert: 'VaultSealed', control: 'Z8-K01', severity: 'S1', signal: 'vault-sealed', for: '1m',
      reads: ['vault_core_unsealed'],
      // Vault answers its authenticated metrics endpoint with 503 while sealed, so sealing shows
      // as a failed scrape of the job labelled component="vault" (PrometheusServer.scrapeVault);
      // the gauge covers an endpoint read without a token. Right after an unseal, Vault still
      // reports the sealed-time gauge (0, cluster="") until its retention ends: not a seal.
      expr: 'min by (instance) (vault_core_unsealed{cluster!=""}) == 0 or max by (instance) (up{component="vault"}) == 0',
      summary: 'Vault is sealed or its telemetry cannot be read',
      description: 'No workload can renew certificates or read secrets while Vault is sealed; agents keep the last rendered files until they expire. Check whether it is sealed (a sealed Vault answers 503), unreachable, or refusing Prometheus\' token; unseal with the custodians (key shares) and find out why it sealed: a restart, or an operator sealing it in response to an incident.',
      firing: { evalMinutes: 10, labels: { instance: 'vault:8200' }, series: [{ series: sel('up', { component: 'vault', instance: 'vault:8200', job: 'vault', zone: 'z8' }), values: '1x3 0x10' }] },
      healthy: {
        evalMinutes: 10,
        series: [
          { series: sel('up', { component: 'vault', instance: 'vault:8200', job: 'vault', zone: 'z8' }), values: gauge(1, 15) },
          { series: sel('vault_core_unsealed', { cluster: 'vault-cluster-lab', instance: 'vault:8200', job: 'vault' }), values: gauge(1, 15) },
          { series: sel('vault_core_unsealed', { cluster: '', instance: 'vault:8200', job: 'vault' }), values: gauge(0, 15) },
        ],
      },
    },
    {
      alert: 'OpaDenyBurst', control: 'Z9-K04', severity: 'S2', signal: 'opa-denies', for: '0m',
      reads: ['opa_denies_total{policy}'],
      expr: `sum by (policy) (increase(opa_denies_total[10m])) > ${num(t.denyBurstPer10m)}`,
      summary: `More than ${num(t.denyBurstPer10m)} OPA denies in 10 minutes`,
      description: 'Z9-K04: a policy decision point denies a burst of requests, as its enforcement points count them (the PDP down counts too: they fail closed). Probing for a route or scope, a bad policy bundle or OPA down: read the decision log (dec_id, policy_digest) and OPA\'s health before changing anything.',
      firing: { evalMinutes: 20, labels: { policy: 'z6.scores' }, series: [{ series: sel('opa_denies_total', { policy: 'z6.scores' }), values: counter(t.denyBurstPer10m / 5, 30) }] },
      healthy: { evalMinutes: 20, series: [{ series: sel('opa_denies_total', { policy: 'z6.scores' }), values: counter(t.denyBurstPer10m / 20, 30) }] },
    },
    {
      alert: 'OpaBundleStale', control: 'Z9-K04', severity: 'S2', signal: 'opa-bundle', for: '5m',
      reads: ['last_success_bundle_activation{name}'],
      expr: `time() - max by (name) (last_success_bundle_activation) / 1e9 > ${num(t.opaBundleMaxAgeSeconds)}`,
      summary: `An OPA bundle is older than ${num(t.opaBundleMaxAgeSeconds)} s`,
      description: 'Z9-K04 / Z9-K07 Z8.OPA.BUNDLE_FRESH: OPA keeps deciding with an old policy bundle (revocations and new denies are not in force). Check the bundle server and the bundle signature.',
      // Activated once at t=0 (the value is a Unix time in ns), then never again.
      firing: { evalMinutes: ageMinutes + 10, labels: { name: 'authz' }, series: [{ series: sel('last_success_bundle_activation', { name: 'authz' }), values: gauge(0, ageMinutes + 15) }] },
      // Activated every minute.
      healthy: { evalMinutes: ageMinutes + 10, series: [{ series: sel('last_success_bundle_activation', { name: 'authz' }), values: counter(60e9, ageMinutes + 15) }] },
    },
    {
      alert: 'CertificateExpiringSoon', control: 'Z9-K07', severity: 'S3', signal: 'certificate-expiry', for: '10m',
      reads: ['traefik_tls_certs_not_after{sans}'],
      // Traefik reports every certificate it has loaded (cn, sans, serial). The platform's PKI
      // issues single-label service names only (its Vault roles allow bare service names), so a
      // dotted DNS name marks a certificate for public names, which no agent renews. `max`: after
      // a renewal the old certificate's series may linger; the newest one for the names counts.
      expr: `max by (sans) (traefik_tls_certs_not_after{sans=~".*[.].*"}) - time() < ${num(t.certificateExpiryDays)} * 86400`,
      summary: `A certificate the gateway serves for public names expires within ${num(t.certificateExpiryDays)} days`,
      description: 'Z9-K07 Z8.PKI.CERT_EXPIRY_WINDOW: the edge certificate (the one the operator installs as publictls) expires soon; clients will refuse the doors when it does. Renew it and replace the files; Traefik reloads them. Short-lived certificates from the platform\'s PKI are renewed by their agents and are not watched here.',
      firing: { evalMinutes: 20, labels: { sans: EDGE_SANS }, series: [edgeCert('1', expiry / 2)] },
      healthy: {
        evalMinutes: 20,
        series: [
          // Renewed: the old certificate's series lingers, the new one expires late.
          edgeCert('1', expiry / 2), edgeCert('2', expiry * 2),
          // The gateway's own 48 h certificate from the platform's PKI: not an edge certificate.
          { series: sel('traefik_tls_certs_not_after', { cn: 'gateway', sans: 'gateway', serial: '3' }), values: gauge(2 * 86400, 30) },
        ],
      },
    },
    {
      alert: 'MinioAuthFailures', control: 'Z2-K10', severity: 'S2', signal: 'minio-auth', for: '0m',
      reads: ['minio_s3_requests_rejected_auth_total'],
      expr: `sum(increase(minio_s3_requests_rejected_auth_total[5m])) > ${num(t.minioAuthFailuresPer5m)}`,
      summary: `More than ${num(t.minioAuthFailuresPer5m)} rejected S3 authentications in 5 minutes`,
      description: 'Z2-K10: the lake rejects a burst of requests for bad credentials. A guessed or revoked key in use: read MinIO\'s audit log (user, remoteHost) and rotate the key if it is one of ours.',
      firing: { evalMinutes: 15, labels: {}, series: [{ series: sel('minio_s3_requests_rejected_auth_total', { server: 'lake:9000' }), values: counter((2 * t.minioAuthFailuresPer5m) / 5, 20) }] },
      healthy: { evalMinutes: 15, series: [{ series: sel('minio_s3_requests_rejected_auth_total', { server: 'lake:9000' }), values: counter(t.minioAuthFailuresPer5m / 10, 20) }] },
    },
    {
      alert: 'ObjectLockDisabled', control: 'Z9-K04', severity: 'S1', signal: 'object-lock', for: '0m',
      reads: ['s3_object_lock_enabled{bucket}'],
      expr: 'min by (bucket) (s3_object_lock_enabled) == 0',
      summary: 'A bucket that must be WORM has no object lock',
      description: 'Z9-K04 / INV-16: `s3_object_lock_enabled == 0` on a raw, evidence or audit bucket; its objects can be deleted or overwritten. Object lock is set at bucket creation only: treat as tampering until explained.',
      firing: { evalMinutes: 5, labels: { bucket: 'raw' }, series: [{ series: sel('s3_object_lock_enabled', { bucket: 'raw' }), values: gauge(0, 10) }] },
      healthy: { evalMinutes: 5, series: [{ series: sel('s3_object_lock_enabled', { bucket: 'raw' }), values: gauge(1, 10) }] },
    },
    {
      alert: 'TrafficWithoutMtls', control: 'Z9-K04', severity: 'S1', signal: 'mtls', for: '0m',
      reads: ['traffic_without_mtls{route}'],
      expr: 'sum by (route) (traffic_without_mtls{route=~"/api/(churn|fraud)/.*"}) > 0',
      summary: 'Requests without mTLS on a route that requires it',
      description: 'Z9-K04: a churn or fraud API route served traffic without a client certificate. A gateway misconfiguration or a bypass of the door: check the route\'s TLS option and the network path.',
      firing: { evalMinutes: 5, labels: { route: '/api/fraud/v1/predict' }, series: [{ series: sel('traffic_without_mtls', { route: '/api/fraud/v1/predict' }), values: gauge(1, 10) }] },
      healthy: { evalMinutes: 5, series: [{ series: sel('traffic_without_mtls', { route: '/api/fraud/v1/predict' }), values: gauge(0, 10) }, { series: sel('traffic_without_mtls', { route: '/public/status' }), values: gauge(3, 10) }] },
    },
    {
      alert: 'DatasetStale', control: 'Z3-K09', severity: 'S3', signal: 'dataset-freshness', for: '5m',
      reads: ['dataset_freshness_seconds{dataset}'],
      expr: `max by (dataset) (dataset_freshness_seconds) > ${num(t.datasetFreshnessSeconds)}`,
      summary: `A dataset is older than its ${num(t.datasetFreshnessSeconds)} s freshness SLA`,
      description: 'Z3-K09: a curated dataset was not refreshed in time; models and features read stale data. Check the curation pipeline and whether its source stopped sending.',
      firing: { evalMinutes: 15, labels: { dataset: 'transactions_v1' }, series: [{ series: sel('dataset_freshness_seconds', { dataset: 'transactions_v1' }), values: gauge(2 * t.datasetFreshnessSeconds, 20) }] },
      healthy: { evalMinutes: 15, series: [{ series: sel('dataset_freshness_seconds', { dataset: 'transactions_v1' }), values: gauge(t.datasetFreshnessSeconds / 2, 20) }] },
    },
    {
      alert: 'DataQualityFailures', control: 'Z3-K09', severity: 'S3', signal: 'data-quality', for: '0m',
      reads: ['dq_failures_total{dataset}'],
      expr: 'sum by (dataset) (increase(dq_failures_total[15m])) > 0',
      summary: 'Data-quality checks fail on a dataset',
      description: 'Z3-K09: quality checks of a curated dataset fail. Hold downstream training on it; a sudden failure pattern can be poisoning, not only a broken source.',
      firing: { evalMinutes: 20, labels: { dataset: 'transactions_v1' }, series: [{ series: sel('dq_failures_total', { dataset: 'transactions_v1' }), values: '0x10 1+1x15' }] },
      healthy: { evalMinutes: 20, series: [{ series: sel('dq_failures_total', { dataset: 'transactions_v1' }), values: gauge(0, 25) }] },
    },
    {
      alert: 'ScrapeTargetDown', control: 'INV-17', severity: 'S2', signal: 'telemetry', for: '5m',
      reads: ['up'],
      expr: 'up == 0',
      summary: 'A metrics target cannot be scraped',
      description: 'INV-17: a workload\'s telemetry does not reach Z9, so its alerts cannot fire (a blind spot). The workload is down, or its certificate or /metrics endpoint broke.',
      firing: { evalMinutes: 15, labels: { job: 'ingest-transactions', instance: 'ingest-transactions:8443', zone: 'z1' }, series: [{ series: sel('up', { job: 'ingest-transactions', instance: 'ingest-transactions:8443', zone: 'z1' }), values: '1x3 0x17' }] },
      healthy: { evalMinutes: 15, series: [{ series: sel('up', { job: 'ingest-transactions', instance: 'ingest-transactions:8443', zone: 'z1' }), values: gauge(1, 20) }] },
    },
    {
      alert: 'AlertNotificationsFailing', control: 'Z9-K09', severity: 'S2', signal: 'alerting-pipeline', for: '0m',
      reads: ['alertmanager_notifications_failed_total{integration}'],
      expr: 'sum by (integration) (increase(alertmanager_notifications_failed_total[10m])) > 0',
      summary: 'Alertmanager fails to deliver notifications',
      description: 'Z9-K09: alerts do not reach on-call or SOAR, so the response times cannot be met. Check the receiver (webhook certificate, token, reachability); this alert itself may only be visible here.',
      firing: { evalMinutes: 15, labels: { integration: 'webhook' }, series: [{ series: sel('alertmanager_notifications_failed_total', { integration: 'webhook', reason: 'other' }), values: '0x5 1+1x15' }] },
      healthy: { evalMinutes: 15, series: [{ series: sel('alertmanager_notifications_failed_total', { integration: 'webhook', reason: 'other' }), values: gauge(0, 20) }] },
    },
  ];
}
