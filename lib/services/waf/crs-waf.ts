import { Construct } from 'constructs';
import { checkInteger, checkOptOut, checkPattern, collect, describeValue } from '../../core/prop-rules';
import { Vps } from '../../core/vps';
import { VpsFile } from '../../core/vps-file';
import { SecretSource } from '../../secrets/secret-source';
import type { VaultServer } from '../../vault/vault-server';
import { HealthCheck } from '../../workload/health-check';
import { Image } from '../../workload/image';
import { ResourceLimits } from '../../workload/security-profile';
import { Workload } from '../../workload/workload';
import { WorkloadGraph } from '../../workload/workload-graph';
import { Zone } from '../../workload/zone';
import { renderCrsSetup, renderModSecurityConf } from './modsecurity-config';
import { NginxBackend, renderNginxConf } from './waf-nginx-config';

/** Whether the WAF only logs what the CRS matches or also blocks it. */
export type WafMode = 'detect' | 'block';

/** Props of a {@link CrsWaf}. */
export interface CrsWafProps {
  /**
   * `detect` (SecRuleEngine DetectionOnly: matches are logged, nothing is blocked) or `block`
   * (On: requests over the anomaly threshold get 403). CONTROLS.md §5 #4: start in detect, switch
   * to block once the audit log shows no false positives.
   * @default 'detect'
   */
  readonly mode?: WafMode;
  /**
   * CRS paranoia level, 1–4 (higher catches more and raises more false positives).
   * @default 1
   */
  readonly paranoiaLevel?: number;
  /**
   * CRS inbound anomaly score threshold (a critical match scores 5).
   * @default 5
   */
  readonly inboundAnomalyThreshold?: number;
  /**
   * CRS outbound anomaly score threshold.
   * @default 4
   */
  readonly outboundAnomalyThreshold?: number;
  /**
   * Largest request body in bytes (nginx and ModSecurity refuse larger with 413).
   * @default 10 MiB (the gateway's Z1 body limit)
   */
  readonly requestBodyLimitBytes?: number;
  /**
   * The door it guards: Z1 ingestion (`/ingest`) or Z6 serving (`/api`, CONTROLS.md Z6-2.1).
   * @default Zone.Z1_INGESTION
   */
  readonly zone?: Zone;
  /**
   * Vault: its server-and-client certificate is Vault-issued and agent-rendered.
   * @default none (bootstrap PKI)
   */
  readonly vault?: VaultServer;
  /**
   * The image: OWASP CRS on nginx with ModSecurity v3.
   * @default owasp/modsecurity-crs:4.18.0-nginx-202509051009
   */
  readonly image?: Image;
  /**
   * The request media types the protected routes accept (CONTROLS.md Z1-K07); any other
   * `Content-Type` is a critical CRS finding (rule 920420), so `block` refuses it.
   * @default ['application/json'] (the connectors take JSON records only)
   */
  readonly allowedContentTypes?: string[];
  /**
   * Whether the OWASP Core Rule Set runs. Off for a hop whose only job is `allowedJsonFields`
   * (the LLM door: CRS's SQL and XSS signatures match ordinary prompts), with the reason, which
   * the posture report prints as this hop's control text.
   * @default on
   */
  readonly coreRuleSet?: { readonly enabled: false; readonly reason: string };
  /**
   * The top-level JSON fields a request body may carry. With it, every request must be
   * `application/json` (else 415), and a body with any other top-level field — or one that is not
   * a JSON object — is refused with 403 before the backend sees it. Needs `mode: 'block'`.
   * @default none (no field check)
   */
  readonly allowedJsonFields?: string[];
  /**
   * CRS release in the image (its `crs_setup_version`); change it with `image`.
   * @default '4.18.0'
   */
  readonly crsVersion?: string;
  /**
   * Resource limits.
   * @default 1 CPU, 512 MiB, 128 pids
   */
  readonly resources?: ResourceLimits;
}

/** Options of `CrsWaf.protect`. */
export interface WafProtectOptions {
  /** The backend's TLS port; must be one it listens on. */
  readonly port: number;
  /** The path prefix routed to it (starts with "/"; letters, digits and ._~-/). */
  readonly pathPrefix: string;
}

/** What the gateway needs to route a protected path to the WAF instead of the backend. */
export interface WafRoute {
  /** The WAF workload: `gateway.expose(route.workload, { host, pathPrefix: route.pathPrefix, port: route.port, auth })`. */
  readonly workload: CrsWaf;
  /** The WAF's HTTPS port. */
  readonly port: number;
  /** The protected path prefix. */
  readonly pathPrefix: string;
  /** The backend behind it. */
  readonly backend: Workload;
  /** The backend's TLS port the WAF forwards to. */
  readonly backendPort: number;
}

/** The HTTPS port the WAF listens on. */
export const WAF_PORT = 8443;
/** Loopback-only health port inside the container. */
export const WAF_HEALTH_PORT = 8081;
const CONFIG_DIR = '/etc/mlsec/waf';
/** Where the image keeps CRS, ModSecurity's unicode mapping and the connector module. */
export const WAF_IMAGE_PATHS = {
  crsRulesDir: '/opt/owasp-crs/rules',
  unicodeMapFile: '/etc/modsecurity.d/unicode.mapping',
  modulePath: '/etc/nginx/modules/ngx_http_modsecurity_module.so',
} as const;
const PATH_PREFIX = /^\/[A-Za-z0-9._~\-/]*$/;
/** A media type without parameters, e.g. `application/json`. */
const MEDIA_TYPE = /^[a-z]+\/[a-z0-9][a-z0-9.+-]{0,62}$/;
const VERSION = /^[0-9]+\.[0-9]+\.[0-9]+$/;
const JSON_FIELD = /^[a-z_][a-z0-9_]{0,63}$/;

/**
 * The WAF hop of a door (CONTROLS.md Z1-K08, §5 #4; Z1 by default, or Z6): nginx with
 * ModSecurity v3 and the OWASP Core Rule Set between the gateway and the door's backends. It serves HTTPS with its own certificate,
 * accepts only clients with a declared flow to it (their internal-CA client certificate, CN =
 * service name), and forwards each protected path prefix to its backend over TLS verified with the
 * internal CA, presenting its own client certificate. The audit log is JSON on stdout and names
 * the matched rule ids, never request headers or bodies. Every file is generated (nginx.conf,
 * modsecurity.conf, crs-setup.conf) and mounted read-only; the image's env templating is bypassed.
 */
export class CrsWaf extends Workload {
  /** The mode in force. */
  public readonly mode: WafMode;
  /** `<service>/nginx.conf`. */
  public readonly nginxConfig: VpsFile;
  /** `<service>/modsecurity.conf`: the engine, limits, audit log, and the CRS includes. */
  public readonly modSecurityConfig: VpsFile;
  /** `<service>/crs-setup.conf`; none when CRS is off. */
  public readonly crsSetup?: VpsFile;
  /** The protected backends, in the order `protect` was called. */
  public readonly routes: WafRoute[] = [];
  private readonly wafProblems: string[] = [];

  constructor(scope: Construct, id: string, props: CrsWafProps = {}) {
    const p = props ?? {};
    const resources = p.resources ?? { cpus: 1, memoryMiB: 512, pids: 128 };
    super(scope, id, {
      zone: p.zone ?? Zone.Z1_INGESTION,
      image: p.image ?? Image.fromRegistry('owasp/modsecurity-crs', '4.18.0-nginx-202509051009'),
      // The image's entrypoint renders templates into /etc/nginx (read-only here): run nginx itself on the generated files.
      entrypoint: ['nginx'],
      command: ['-c', `${CONFIG_DIR}/nginx.conf`, '-e', 'stderr'],
      ports: [WAF_PORT],
      // The image's unprivileged nginx user.
      user: '101:101',
      resources,
      healthCheck: HealthCheck.command(['curl', '-fsS', '-o', '/dev/null', `http://127.0.0.1:${WAF_HEALTH_PORT}/healthz`]),
    });
    this.mode = p.mode ?? 'detect';
    // Recorded with the workload's other lifted defaults (x-mlsec.overrides in the compose file).
    if (p.coreRuleSet?.enabled === false && typeof p.coreRuleSet.reason === 'string') this.securityOverrides.push({ control: 'waf-core-rule-set', setting: 'off', reason: p.coreRuleSet.reason });
    const tls = p.vault
      ? p.vault.enablePki().grantIssue(this, { usage: 'server-and-client', ttlHours: 48 })
      : this.tlsFilesOf(this.addTlsIdentity({ usage: 'server-and-client' }));
    const caBundle = this.addSecret(SecretSource.caBundle(Vps.of(this)));
    const bodyLimit = p.requestBodyLimitBytes ?? 10 * 1024 * 1024;
    const crsVersion = p.crsVersion ?? '4.18.0';
    const header = (what: string) => `# ${what} of ${this.node.path}, generated by mlsec-cdk. Do not edit.`;
    const engine = {
      mode: this.mode,
      paranoiaLevel: p.paranoiaLevel ?? 1,
      inboundThreshold: p.inboundAnomalyThreshold ?? 5,
      outboundThreshold: p.outboundAnomalyThreshold ?? 4,
      requestBodyLimitBytes: bodyLimit,
      crsVersion,
      allowedContentTypes: p.allowedContentTypes ?? ['application/json'],
      coreRuleSet: p.coreRuleSet?.enabled !== false,
      allowedJsonFields: Array.isArray(p.allowedJsonFields) ? [...p.allowedJsonFields].sort() : undefined,
      crsRulesDir: WAF_IMAGE_PATHS.crsRulesDir,
      crsSetupFile: `${CONFIG_DIR}/crs-setup.conf`,
      unicodeMapFile: WAF_IMAGE_PATHS.unicodeMapFile,
      tmpDir: '/tmp',
    };
    if (engine.coreRuleSet) this.crsSetup = new VpsFile(this, 'CrsSetup', { path: `${this.serviceName}/crs-setup.conf`, content: () => renderCrsSetup(engine, header('OWASP CRS setup')) });
    this.modSecurityConfig = new VpsFile(this, 'ModSecurity', { path: `${this.serviceName}/modsecurity.conf`, content: () => renderModSecurityConf(engine, header('ModSecurity configuration')) });
    this.nginxConfig = new VpsFile(this, 'Nginx', {
      path: `${this.serviceName}/nginx.conf`,
      content: () => renderNginxConf({
        httpsPort: WAF_PORT,
        healthPort: WAF_HEALTH_PORT,
        workerProcesses: Math.max(1, Math.ceil(typeof resources.cpus === 'number' ? resources.cpus : 1)),
        modulePath: WAF_IMAGE_PATHS.modulePath,
        rulesFile: `${CONFIG_DIR}/modsecurity.conf`,
        tmpDir: '/tmp',
        certificate: tls.certificate,
        privateKey: tls.privateKey,
        clientCertificate: tls.certificate,
        clientPrivateKey: tls.privateKey,
        caBundle,
        allowedClients: this.allowedClients(),
        maxBodyBytes: bodyLimit,
        backends: this.routes.map((r): NginxBackend => ({
          upstream: `${r.backend.serviceName.replace(/-/g, '_')}_${r.backendPort}`,
          serviceName: r.backend.serviceName,
          port: r.backendPort,
          pathPrefix: r.pathPrefix,
        })),
      }, header('nginx configuration')),
    });
    this.mountFile(this.nginxConfig, `${CONFIG_DIR}/nginx.conf`);
    this.mountFile(this.modSecurityConfig, `${CONFIG_DIR}/modsecurity.conf`);
    if (this.crsSetup) this.mountFile(this.crsSetup, `${CONFIG_DIR}/crs-setup.conf`);
    this.node.addValidation({
      validate: () => [
        ...this.wafProblems,
        ...this.bypasses(),
        ...collect(
          p.zone === undefined || (Zone.isZone(p.zone) && p.zone.isDoor) ? undefined : `prop 'zone' must be one of the two doors, Zone.Z1_INGESTION or Zone.Z6_SERVING (got ${Zone.isZone(p.zone) ? p.zone.id : describeValue(p.zone)})`,
          p.mode === undefined || p.mode === 'detect' || p.mode === 'block' ? undefined : `prop 'mode' must be 'detect' or 'block' (got ${describeValue(p.mode)})`,
          p.paranoiaLevel === undefined ? undefined : checkInteger('paranoiaLevel', p.paranoiaLevel, 1, 4),
          p.inboundAnomalyThreshold === undefined ? undefined : checkInteger('inboundAnomalyThreshold', p.inboundAnomalyThreshold, 1, 10_000),
          p.outboundAnomalyThreshold === undefined ? undefined : checkInteger('outboundAnomalyThreshold', p.outboundAnomalyThreshold, 1, 10_000),
          p.requestBodyLimitBytes === undefined ? undefined : checkInteger('requestBodyLimitBytes', p.requestBodyLimitBytes, 1024, 1024 * 1024 * 1024),
          p.crsVersion === undefined ? undefined : checkPattern('crsVersion', p.crsVersion, VERSION, 'a CRS release "major.minor.patch" such as "4.18.0"'),
          ...this.fieldProblems(p),
          p.allowedContentTypes === undefined || (Array.isArray(p.allowedContentTypes) && p.allowedContentTypes.length > 0 && p.allowedContentTypes.every((t) => typeof t === 'string' && MEDIA_TYPE.test(t)))
            ? undefined : `prop 'allowedContentTypes' must be a non-empty list of lower-case media types such as 'application/json' (got ${describeValue(p.allowedContentTypes)})`,
        ),
      ],
    });
  }

  /**
   * Puts the WAF in front of `backend` for `options.pathPrefix`: declares the flow WAF → backend
   * on `options.port` and routes the prefix there. Returns what the gateway needs to route to the
   * WAF instead: `gateway.expose(r.workload, { host, pathPrefix: r.pathPrefix, port: r.port, auth })`.
   */
  public protect(backend: Workload, options: WafProtectOptions): WafRoute {
    const o = options ?? ({} as WafProtectOptions);
    const route: WafRoute = { workload: this, port: WAF_PORT, pathPrefix: o.pathPrefix, backend, backendPort: o.port };
    const where = `protect(${Workload.isWorkload(backend) ? backend.node.path : describeValue(backend)})`;
    if (!Workload.isWorkload(backend)) {
      this.wafProblems.push(`${where}: needs a Workload (got ${describeValue(backend)})`);
      return route;
    }
    const bad = checkPattern('pathPrefix', o.pathPrefix, PATH_PREFIX, 'a path starting with "/" of letters, digits and ._~-/');
    if (bad) this.wafProblems.push(`${where}: ${bad}`);
    else {
      const clash = this.routes.find((r) => r.pathPrefix === o.pathPrefix);
      if (clash) this.wafProblems.push(`${where}: prop 'pathPrefix' ${describeValue(o.pathPrefix)} already routes to '${clash.backend.node.path}'; one backend per prefix`);
    }
    // The port check (it must be one the backend listens on) is the flow's own.
    this.connections.allowTo(backend, { port: o.port });
    this.routes.push(route);
    return route;
  }

  /**
   * A protected backend that the edge gateway also reaches directly would be exposed around the
   * WAF: each such flow is a problem (expose the WAF instead: `gateway.expose(route.workload, …)`).
   */
  private bypasses(): string[] {
    const flows = WorkloadGraph.of(this).allFlows();
    return this.routes.flatMap((r) => flows
      .filter((f) => f.to === r.backend && f.from !== this && f.from._role === 'edge-gateway')
      .map((f) => `protect(${r.backend.node.path}): the gateway '${f.from.node.path}' also reaches it directly on ${f.port}, around the WAF; expose the WAF instead (gateway.expose(route.workload, { pathPrefix: route.pathPrefix, port: route.port, … }))`));
  }

  private fieldProblems(p: CrsWafProps): string[] {
    const problems: string[] = [];
    const crs = p.coreRuleSet;
    const optOut = checkOptOut('coreRuleSet', crs, 'CRS');
    if (optOut) problems.push(optOut);
    const fields = p.allowedJsonFields;
    if (fields === undefined) {
      if (crs?.enabled === false) problems.push("prop 'coreRuleSet': a WAF without CRS and without 'allowedJsonFields' checks nothing; set 'allowedJsonFields' or keep CRS on");
      return problems;
    }
    if (!Array.isArray(fields) || fields.length === 0 || !fields.every((f) => typeof f === 'string' && JSON_FIELD.test(f)) || new Set(fields).size !== fields.length) {
      problems.push(`prop 'allowedJsonFields' must be a non-empty list of distinct field names of lower-case letters, digits and "_" (got ${describeValue(fields)})`);
    }
    if ((p.mode ?? 'detect') !== 'block') problems.push(`prop 'allowedJsonFields' needs mode 'block': a field allow-list that only logs protects nothing (got mode ${describeValue(p.mode ?? 'detect')})`);
    return problems;
  }

  /** Service names of the workloads with a declared flow to the WAF (the gateway, once it exposes it). */
  private allowedClients(): string[] {
    const names = WorkloadGraph.of(this).allFlows().filter((f) => f.to === this).map((f) => f.from.serviceName);
    return [...new Set(names)].sort();
  }
}
