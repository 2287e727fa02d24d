/**
 * consul-template sources (`.ctmpl`) for the Vault Agent, written as Handlebars templates. Our own
 * values are Handlebars `{{…}}`; consul-template's syntax is escaped as `\{{` so it survives
 * rendering verbatim. Compiled with `noEscape` (no HTML entities in HCL/Go templates) and `strict`
 * (a missing value throws instead of rendering empty). Every value put in was validated first
 * (paths, fields and role names of safe characters), so none can open or close a `{{ }}` action.
 */
export const AGENT_TEMPLATE_SOURCES = {
  /** One field of a KV v2 secret. */
  'kv-field': '\\{{- with secret "{{path}}" -}}\\{{ .Data.data.{{field}} }}\\{{- end -}}\n',
  /**
   * One dotenv line `NAME=<field of a KV v2 secret>`, for a program that reads secrets only from
   * its environment (Benthos `--env-file`); the field must need no quoting (generated credentials are base64url).
   */
  'kv-env': '{{name}}=\\{{ with secret "{{path}}" }}\\{{ .Data.data.{{field}} }}\\{{ end }}\n',
  /** An AWS shared-credentials file for S3 clients (boto3, the AWS SDKs). */
  'aws-credentials': '[default]\naws_access_key_id = {{accessKeyId}}\n\\{{ with secret "{{path}}" -}}aws_secret_access_key = \\{{ .Data.data.{{field}} }}\n\\{{ end -}}\n',
  /**
   * A short-lived certificate from the PKI engine: certificate and CA chain into the destination,
   * the key into its own 0400 file. `pkiCert` re-issues only when the one on disk nears expiry.
   * Keys are PKCS#8 (`BEGIN PRIVATE KEY`): every consumer reads it, and pgjdbc (Keycloak's
   * database driver) reads no other PEM form.
   */
  'pki-cert': '\\{{- with pkiCert "{{path}}" "common_name={{commonName}}" "uri_sans={{uriSans}}" "ttl={{ttl}}" "private_key_format=pkcs8" -}}\n\\{{ .Cert }}\\{{ .CA }}\\{{ .Key | writeToFile "{{keyFile}}" "" "" "0400" }}\n\\{{- end -}}\n',
  /**
   * A Redis ACL file: the default user off, then each user with the SHA-256 of its password read
   * from the server's own KV path (the server never sees a password) and its validated rules.
   */
  'redis-acl': 'user default off resetpass resetkeys resetchannels -@all\n{{#each users}}\\{{ with secret "{{this.path}}" }}user {{this.name}} reset on #\\{{ .Data.data.sha256 }} {{this.rules}}\n\\{{ end }}{{/each}}',
  /**
   * Dotenv lines `NAME=<key>=<sha256>,<key>=<sha256>,…`, each SHA-256 read from its own KV v2 path
   * (field `sha256`), for a Benthos service that checks bearer tokens and must never know them.
   * Keys are service names; a variable without entries renders `NAME=` (no caller matches).
   */
  'kv-sha256-env': '{{#each variables}}{{this.name}}={{#each this.entries}}{{#unless @first}},{{/unless}}{{this.key}}=\\{{ with secret "{{this.path}}" }}\\{{ .Data.data.sha256 }}\\{{ end }}{{/each}}\n{{/each}}',
  /** A libpq service file with dynamic database credentials (PGSERVICEFILE + PGSERVICE). */
  'pg-service': [
    '[{{service}}]',
    'host={{host}}',
    'port={{port}}',
    'dbname={{dbname}}',
    'sslmode=verify-full',
    'sslrootcert={{sslrootcert}}',
    'sslcert={{sslcert}}',
    'sslkey={{sslkey}}',
    '\\{{ with secret "{{path}}" -}}',
    'user=\\{{ .Data.username }}',
    'password=\\{{ .Data.password }}',
    '\\{{ end -}}',
    '',
  ].join('\n'),
} as const;

/** The name of a template. */
export type AgentTemplateName = keyof typeof AGENT_TEMPLATE_SOURCES;

/**
 * The Handlebars options the templates are compiled with (precompiled: see
 * tools/generate-agent-templates.ts): no HTML escaping, and a missing value throws.
 */
export const AGENT_TEMPLATE_OPTIONS = { noEscape: true, strict: true } as const;
