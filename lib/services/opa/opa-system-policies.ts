import { RegoCase, regoHeader, regoLiteral, renderTests } from './rego';

/**
 * The two policies OPA consults about itself: `system.authz` (who may query what, checked on
 * every API call with `--authorization=basic`) and `system.log` (what the decision logger erases
 * before it writes a line).
 */

/** Request headers that carry credentials; the mask erases them whatever their case. */
export const SECRET_HEADERS: readonly string[] = ['authorization', 'cookie', 'proxy-authorization', 'set-cookie', 'x-amz-security-token', 'x-api-key', 'x-auth-token', 'x-forwarded-access-token', 'x-vault-token'];
/** Top-level input fields that carry credentials. */
export const SECRET_FIELDS: readonly string[] = ['access_token', 'api_key', 'client_secret', 'id_token', 'jwt', 'password', 'refresh_token', 'secret', 'token'];

/** `client identity (certificate CN) → packages it may query`. */
export type QueryGrants = ReadonlyMap<string, readonly string[]>;

/** The `system.authz` policy: CONTROLS.md Z8-K09, only granted client identities, only their packages. */
export function renderAuthzPolicy(source: string, grants: QueryGrants): string {
  const table = Object.fromEntries([...grants].map(([client, packages]) => [client, [...packages].sort()]));
  return `${regoHeader('CONTROLS.md Z8-K09: the server answers only granted client identities, and each only about its own packages.', source)}package system.authz

# The client certificate's common name (TLS authentication: the chain is verified against the lab
# CA before this policy runs) → the packages it may query.
grants := ${regoLiteral(table, true)}

default allow := false

identity := input.client_certificates[0].Subject.CommonName

# POST /v1/data/<package>[/<rule>…]: a decision of a granted package (no GET: input goes in the body).
allow if {
	input.method == "POST"
	input.path[0] == "v1"
	input.path[1] == "data"
	some granted in grants[identity]
	package_path := split(granted, ".")
	count(input.path) >= count(package_path) + 2
	array.slice(input.path, 2, count(package_path) + 2) == package_path
}

# Liveness, for a granted client only.
allow if {
	input.method == "GET"
	input.path == ["health"]
	grants[identity]
}
`;
}

/** Cases of the generated `system/authz` tests: each grant allowed, everything else denied. */
export function authzCases(grants: QueryGrants): RegoCase[] {
  const cert = (cn: string) => [{ Subject: { CommonName: cn } }];
  const cases: RegoCase[] = [];
  const stranger = ['intruder', 'intruder-2', 'intruder-3'].find((c) => !grants.has(c))!;
  for (const [client, packages] of grants) {
    for (const pkg of packages) {
      const path = ['v1', 'data', ...pkg.split('.'), 'allow'];
      cases.push({ name: `${client} querying ${pkg}`, input: { method: 'POST', path, client_certificates: cert(client) }, allow: true });
      cases.push({ name: `${client} querying ${pkg} with GET`, input: { method: 'GET', path, client_certificates: cert(client) }, allow: false });
      cases.push({ name: `${stranger} querying ${pkg}`, input: { method: 'POST', path, client_certificates: cert(stranger) }, allow: false });
      cases.push({ name: `a client without a certificate querying ${pkg}`, input: { method: 'POST', path }, allow: false });
    }
    cases.push({ name: `${client} reading all data`, input: { method: 'POST', path: ['v1', 'data'], client_certificates: cert(client) }, allow: false });
    cases.push({ name: `${client} querying the system tree`, input: { method: 'POST', path: ['v1', 'data', 'system', 'authz'], client_certificates: cert(client) }, allow: false });
    cases.push({ name: `${client} replacing a policy`, input: { method: 'PUT', path: ['v1', 'policies', 'x'], client_certificates: cert(client) }, allow: false });
    cases.push({ name: `${client} running an ad-hoc query`, input: { method: 'POST', path: ['v1', 'query'], client_certificates: cert(client) }, allow: false });
    cases.push({ name: `${client} health`, input: { method: 'GET', path: ['health'], client_certificates: cert(client) }, allow: true });
  }
  cases.push({ name: `${stranger} health`, input: { method: 'GET', path: ['health'], client_certificates: cert(stranger) }, allow: false });
  return cases;
}

/** The `system.log` mask policy: CONTROLS.md Z8-K09 "decision logs redacted". */
export function renderMaskPolicy(source: string): string {
  return `${regoHeader('CONTROLS.md Z8-K09: decision logs are redacted; credentials in the input never reach a log line.', source)}package system.log

secret_headers := ${regoLiteral([...SECRET_HEADERS].sort())}

secret_fields := ${regoLiteral([...SECRET_FIELDS].sort())}

# Every header that carries a credential, in whatever case the PEP sent it.
mask contains path if {
	some name, _ in input.input.headers
	lower(name) in secret_headers
	path := concat("/", ["", "input", "headers", name])
}

# Any other header that looks like one.
mask contains path if {
	some name, _ in input.input.headers
	regex.match(\`(?i)(token|secret|passw|api-?key|session)\`, name)
	path := concat("/", ["", "input", "headers", name])
}

# Top-level fields that carry a credential.
mask contains path if {
	some name, _ in input.input
	lower(name) in secret_fields
	path := concat("/", ["", "input", name])
}
`;
}

/** The generated `system/log` tests: the mask lists the credential paths, and only those. */
export function renderMaskTests(source: string): string {
  const input = { input: { headers: { 'Authorization': ['Bearer x'], 'cookie': 'session=x', 'X-Session-Id': 'x', 'Accept': 'application/json' }, access_token: 'x', model: 'churn' } };
  const expected = ['/input/access_token', '/input/headers/Authorization', '/input/headers/X-Session-Id', '/input/headers/cookie'];
  return `${regoHeader('Unit tests of the decision-log mask.', source)}package system.log_test

test_masks_credentials_only if {
	data.system.log.mask == {${expected.map((e) => JSON.stringify(e)).join(', ')}} with input as ${regoLiteral(input)}
}

test_masks_nothing_without_credentials if {
	count(data.system.log.mask) == 0 with input as ${regoLiteral({ input: { headers: { Accept: 'application/json' }, model: 'churn' } })}
}
`;
}

/** The generated `system/authz` tests. */
export function renderAuthzTests(source: string, grants: QueryGrants): string {
  return renderTests('system.authz', source, authzCases(grants));
}
