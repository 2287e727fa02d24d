/**
 * The ModSecurity v3 engine settings and the OWASP CRS setup of a {@link CrsWaf}, rendered as
 * ModSecurity directives. Written by hand rather than by the image's env templating, so that the
 * files a test runs are exactly the files the host mounts.
 */

/** What the engine and CRS setup depend on. */
export interface ModSecuritySettings {
  /** `detect` → SecRuleEngine DetectionOnly; `block` → On. */
  readonly mode: 'detect' | 'block';
  /** CRS paranoia level 1–4 (blocking and detection). */
  readonly paranoiaLevel: number;
  /** CRS inbound anomaly score threshold. */
  readonly inboundThreshold: number;
  /** CRS outbound anomaly score threshold. */
  readonly outboundThreshold: number;
  /** Largest request body in bytes (with or without files). */
  readonly requestBodyLimitBytes: number;
  /** The CRS release, `major.minor.patch` (its `crs_setup_version` is the digits). */
  readonly crsVersion: string;
  /** Media types the routes accept (CRS `tx.allowed_request_content_type`). */
  readonly allowedContentTypes: readonly string[];
  /** Whether CRS runs (its setup and rules are included). */
  readonly coreRuleSet: boolean;
  /** The top-level JSON fields request bodies may carry; undefined: no field check. */
  readonly allowedJsonFields?: readonly string[];
  /** The CRS rules folder in the container. */
  readonly crsRulesDir: string;
  /** The CRS setup file in the container (included before the rules). */
  readonly crsSetupFile: string;
  /** ModSecurity's unicode mapping file in the container. */
  readonly unicodeMapFile: string;
  /** A writable scratch folder (tmpfs). */
  readonly tmpDir: string;
}

/**
 * Audit log parts: A (transaction header), H (the matched rules: id, message, severity, tags) and
 * Z. Never B or F (headers: Authorization, Cookie, Set-Cookie), C, I or J (request body and
 * files) nor E (response body): CONTROLS.md Z9-K01. The messages in H quote at most the matched
 * fragment (`Matched Data: … found within ARGS:…`), never the body as a whole.
 */
export const AUDIT_LOG_PARTS = 'AHZ';

/** `modsecurity.conf`: the engine, its limits, the audit log, then the CRS setup and rules. */
export function renderModSecurityConf(s: ModSecuritySettings, header: string): string {
  return [
    header,
    '',
    `# ${s.mode === 'detect' ? 'Detection only: matches are logged, nothing is blocked (CONTROLS.md §5 #4: start in detect).' : s.coreRuleSet ? 'Blocking: CRS anomaly scores above the thresholds are denied (403).' : 'Blocking: the rules below deny what they match.'}`,
    `SecRuleEngine ${s.mode === 'block' ? 'On' : 'DetectionOnly'}`,
    '',
    '# Request bodies are inspected (JSON and XML by their processors) and bounded; larger ones are refused (413).',
    'SecRequestBodyAccess On',
    'SecRule REQUEST_HEADERS:Content-Type "^(?:application(?:/soap\\+|/)|text/)xml" "id:200000,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=XML"',
    'SecRule REQUEST_HEADERS:Content-Type "^application/json" "id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"',
    `SecRequestBodyLimit ${s.requestBodyLimitBytes}`,
    `SecRequestBodyNoFilesLimit ${s.requestBodyLimitBytes}`,
    'SecRequestBodyLimitAction Reject',
    'SecRequestBodyJsonDepthLimit 512',
    'SecArgumentsLimit 1000',
    'SecRule &ARGS "@ge 1000" "id:200007,phase:2,t:none,log,deny,status:400,msg:\'Failed to fully parse request body due to large argument count\',severity:2"',
    'SecRule REQBODY_ERROR "!@eq 0" "id:200002,phase:2,t:none,log,deny,status:400,msg:\'Failed to parse request body.\',severity:2"',
    'SecRule MULTIPART_STRICT_ERROR "!@eq 0" "id:200003,phase:2,t:none,log,deny,status:400,msg:\'Multipart request body failed strict validation\'"',
    'SecRule MULTIPART_UNMATCHED_BOUNDARY "@eq 1" "id:200004,phase:2,t:none,log,deny,msg:\'Multipart parser detected a possible unmatched boundary.\'"',
    'SecRule TX:/^MSC_/ "!@streq 0" "id:200005,phase:2,t:none,deny,msg:\'ModSecurity internal error flagged: %{MATCHED_VAR_NAME}\'"',
    'SecPcreMatchLimit 100000',
    'SecPcreMatchLimitRecursion 100000',
    '',
    '# Responses are not inspected: the backends are internal APIs, and their bodies must not reach the log.',
    'SecResponseBodyAccess Off',
    '',
    `SecTmpDir ${s.tmpDir}`,
    `SecDataDir ${s.tmpDir}`,
    'SecArgumentSeparator &',
    'SecCookieFormat 0',
    `SecUnicodeMapFile ${s.unicodeMapFile} 20127`,
    'SecStatusEngine Off',
    '',
    `# Audit log: JSON lines on stdout, for transactions that matched a rule or got a 4xx/5xx; parts ${AUDIT_LOG_PARTS} only`,
    '# (the matched rule ids, never request headers or bodies: CONTROLS.md Z1-K08, Z9-K01).',
    'SecAuditEngine RelevantOnly',
    'SecAuditLogRelevantStatus "^(?:5|4(?!04))"',
    `SecAuditLogParts ${AUDIT_LOG_PARTS}`,
    'SecAuditLogFormat JSON',
    'SecAuditLogType Serial',
    'SecAuditLog /dev/stdout',
    '',
    ...fieldAllowList(s.allowedJsonFields),
    ...(s.coreRuleSet
      ? [`Include ${s.crsSetupFile}`, `Include ${s.crsRulesDir}/*.conf`]
      : ['# The OWASP Core Rule Set is off on this hop (see the construct\'s coreRuleSet reason).']),
    '',
  ].join('\n');
}

/**
 * The request-field allow-list: JSON bodies only (a backend that parses any body as JSON would
 * otherwise read fields no rule saw), and no argument but `json.<allowed field>…` — so no other
 * top-level field, no top-level array, no query parameter. ModSecurity's JSON processor decodes
 * escapes in keys, so `prompt\u005fid` is `prompt_id` here too. Logs the argument name, never its value.
 */
function fieldAllowList(fields: readonly string[] | undefined): string[] {
  if (fields === undefined) return [];
  return [
    `# Request-field allow-list: top-level JSON fields ${fields.join(', ')}; anything else is refused.`,
    'SecRule &REQUEST_HEADERS:Content-Type "@eq 0" "id:200100,phase:1,t:none,deny,status:415,log,msg:\'Request without a media type on a JSON-only route\'"',
    'SecRule REQUEST_HEADERS:Content-Type "!@rx ^application/json(?:;|$)" "id:200101,phase:1,t:none,t:lowercase,t:removeWhitespace,deny,status:415,log,msg:\'Request media type not allowed on a JSON-only route\'"',
    `SecRule ARGS_NAMES "!@rx ^json\\.(?:${fields.join('|')})(?:\\.|$)" "id:200102,phase:2,t:none,deny,status:403,log,msg:'Request field not on the route allow-list',logdata:'%{MATCHED_VAR}'"`,
    '',
  ];
}

/** `crs-setup.conf`: anomaly scoring, the paranoia level (CRS 3 and CRS 4 names) and the thresholds. */
export function renderCrsSetup(s: ModSecuritySettings, header: string): string {
  const pl = s.paranoiaLevel;
  return [
    header,
    '',
    '# Anomaly scoring: each rule adds to the score and passes; 949110/959100 deny above the thresholds.',
    'SecDefaultAction "phase:1,log,auditlog,pass"',
    'SecDefaultAction "phase:2,log,auditlog,pass"',
    '',
    '# Paranoia level: CRS 4 reads blocking/detection_paranoia_level, CRS 3 paranoia_level/executing_paranoia_level.',
    `SecAction "id:900000,phase:1,pass,t:none,nolog,setvar:tx.blocking_paranoia_level=${pl},setvar:tx.detection_paranoia_level=${pl},setvar:tx.paranoia_level=${pl},setvar:tx.executing_paranoia_level=${pl}"`,
    '',
    `SecAction "id:900110,phase:1,pass,t:none,nolog,setvar:tx.inbound_anomaly_score_threshold=${s.inboundThreshold},setvar:tx.outbound_anomaly_score_threshold=${s.outboundThreshold}"`,
    '',
    '# Request media types the routes accept (Z1-K07): anything else is rule 920420, critical.',
    `SecAction "id:900220,phase:1,pass,t:none,nolog,setvar:'tx.allowed_request_content_type=${s.allowedContentTypes.map((t) => `|${t}|`).join(' ')}'"`,
    '',
    `SecAction "id:900990,phase:1,pass,t:none,nolog,setvar:tx.crs_setup_version=${s.crsVersion.replace(/\D/g, '')}"`,
    '',
  ].join('\n');
}
