/** The Airflow programs of a deployment; each is its own container with its own airflow.cfg. */
export type AirflowRole = 'db-migrate' | 'scheduler' | 'dag-processor' | 'api-server' | 'worker';

/** Where the Airflow containers keep things (the image's user is 50000, its HOME a tmpfs). */
export const AIRFLOW_PATHS = {
  home: '/tmp/airflow',
  config: '/etc/airflow/airflow.cfg',
  startScript: '/etc/airflow/start.sh',
  redisUrlScript: '/etc/airflow/redis_url.py',
  dags: '/opt/airflow/dags',
} as const;

/** Files (container paths) that hold secrets, read through Airflow's `_cmd` options; absent = not held. */
export interface AirflowSecretFiles {
  /** Fernet key (connections and variables are encrypted with it). */
  readonly fernetKey?: string;
  /** HS512 key that signs and checks task identity (JWT) tokens. */
  readonly jwtSecret?: string;
  /** The API server's session key. */
  readonly apiSecretKey?: string;
}

/** TLS of the API server (server side) or of its callers (client side). */
export interface AirflowApiTls {
  /** The CA bundle that verifies the other side. */
  readonly caBundle: string;
  /** Its certificate. */
  readonly certificate: string;
  /** Its key. */
  readonly privateKey: string;
}

/** What one component's airflow.cfg says (every value validated by the construct first). */
export interface AirflowConfigOptions {
  /** Construct path of the component, for the header. */
  readonly producer: string;
  /** Which program. */
  readonly role: AirflowRole;
  /** `postgresql+psycopg://…` with certificate login (no password), or undefined: no metadata database at all. */
  readonly metadataDb?: string;
  /** Whether it talks to the Celery broker (the URL is built at run time from its password file). */
  readonly broker: boolean;
  /** Secrets it holds. */
  readonly secrets: AirflowSecretFiles;
  /** `https://<api-server>:<port>/execution/`. */
  readonly executionApiUrl: string;
  /** The public base URL of the UI/API. */
  readonly baseUrl: string;
  /** Server TLS (api-server) or client TLS towards it (workers). */
  readonly apiServerTls?: AirflowApiTls;
  /** Client certificate towards the API server. */
  readonly apiClientTls?: AirflowApiTls;
  /** The queue tasks without one go to: no worker listens there, so nothing runs in a domain it was not routed to. */
  readonly defaultQueue: string;
  /** Tasks a worker runs at once. */
  readonly workerConcurrency: number;
  /** The API server's port. */
  readonly apiPort: number;
  /** Celery settings Airflow's own options cannot express (JSON, typed). */
  readonly extraCelery: Record<string, unknown>;
  /** The client TLS files presented to Redis (broker). */
  readonly brokerTls?: AirflowApiTls;
}

/**
 * The `airflow.cfg` of one component. Secrets never appear: each secret option is its `_cmd`
 * variant reading a file the Vault Agent renders, and only for the components that hold it (the
 * scheduler holds the task-token key but no fernet key, a worker holds neither). Options nobody
 * needs are left at Airflow's defaults; the ones here are the security-relevant ones.
 */
export function renderAirflowConfig(o: AirflowConfigOptions): string {
  const sections: Record<string, Record<string, string | undefined>> = {
    core: {
      executor: 'CeleryExecutor',
      dags_folder: AIRFLOW_PATHS.dags,
      load_examples: 'False',
      dags_are_paused_at_creation: 'True',
      // No local users and no generated admin password: the UI stays closed until an OIDC auth manager is configured.
      auth_manager: 'airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager',
      simple_auth_manager_users: '',
      simple_auth_manager_all_admins: 'False',
      execution_api_server_url: o.executionApiUrl,
      hide_sensitive_var_conn_fields: 'True',
      fernet_key_cmd: o.secrets.fernetKey === undefined ? undefined : `cat ${o.secrets.fernetKey}`,
    },
    database: {
      sql_alchemy_conn: o.metadataDb,
      // The API server's async engine: psycopg 3 too, so libpq reads the same certificate options.
      sql_alchemy_conn_async: o.metadataDb?.replace(/^postgresql\+psycopg:/, 'postgresql+psycopg_async:'),
    },
    logging: {
      base_log_folder: `${AIRFLOW_PATHS.home}/logs`,
      remote_logging: 'False',
    },
    api: {
      base_url: o.baseUrl,
      port: String(o.apiPort),
      expose_config: 'False',
      expose_stacktrace: 'False',
      enable_swagger_ui: 'False',
      ssl_cert: o.apiServerTls?.certificate,
      ssl_key: o.apiServerTls?.privateKey,
      ssl_ca_file: o.apiServerTls?.caBundle ?? o.apiClientTls?.caBundle,
      // The API server asks every caller for a certificate of the internal CA.
      ssl_cert_reqs: o.apiServerTls === undefined ? undefined : 'required',
      client_ssl_cert: o.apiClientTls?.certificate,
      client_ssl_key: o.apiClientTls?.privateKey,
      client_use_public_certs: o.apiClientTls === undefined ? undefined : 'False',
      secret_key_cmd: o.secrets.apiSecretKey === undefined ? undefined : `cat ${o.secrets.apiSecretKey}`,
    },
    api_auth: {
      jwt_secret_cmd: o.secrets.jwtSecret === undefined ? undefined : `cat ${o.secrets.jwtSecret}`,
    },
    operators: { default_queue: o.defaultQueue },
    celery: o.broker ? {
      broker_url_cmd: `python3 ${AIRFLOW_PATHS.redisUrlScript}`,
      result_backend_cmd: `python3 ${AIRFLOW_PATHS.redisUrlScript}`,
      ssl_active: 'True',
      ssl_mutual_tls: 'True',
      ssl_cacert: o.brokerTls?.caBundle,
      ssl_cert: o.brokerTls?.certificate,
      ssl_key: o.brokerTls?.privateKey,
      worker_concurrency: String(o.workerConcurrency),
      // Remote control is a broadcast every worker hears: off, so no domain can command another's worker.
      worker_enable_remote_control: 'False',
      extra_celery_config: JSON.stringify(o.extraCelery),
    } : {},
  };
  const lines = [`# Airflow ${o.role} of ${o.producer}, generated by mlsec-cdk. Do not edit.`, '# No secret is in this file: *_cmd options read files the Vault Agent renders.'];
  for (const [name, options] of Object.entries(sections)) {
    const set = Object.entries(options).filter(([, v]) => v !== undefined);
    if (set.length === 0) continue;
    lines.push('', `[${name}]`, ...set.map(([k, v]) => (v === '' ? `${k} =` : `${k} = ${v}`)));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Celery options per component. Ack emulation is off: it keeps every in-flight message in one
 * hash all consumers write and guards it with a Lua-script lock, and Lua (EVAL/EVALSHA) is never
 * granted; a task lost with its worker is retried by the scheduler's `task_queued_timeout` and
 * heartbeat checks instead. One priority level keeps a queue one key; events and remote control
 * are off (they are broadcasts every domain would hear).
 */
export function celeryExtraConfig(keyPrefix: string): Record<string, unknown> {
  return {
    broker_transport_options: { ack_emulation: false, priority_steps: [0], global_keyprefix: keyPrefix },
    worker_send_task_events: false,
    task_send_sent_event: false,
    worker_enable_remote_control: false,
  };
}
