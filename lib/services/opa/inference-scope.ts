import { describeValue } from '../../core/prop-rules';
import { GENERATED_POLICY, type InferenceModel, type InferenceScopeProps, type IOpaPolicy } from './opa-policy-types';
import { packageProblem, RegoCase, regoHeader, regoLiteral } from './rego';

const MODEL = /^[a-z][a-z0-9_-]{0,63}$/;
/** A version label: no ":" (it would split the scope) and no spaces (they separate scopes). */
const VERSION = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,31}$/;
const TENANT = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Z6-K01: scope `inference:<model>:<version>:invoke` + tenant match ({@link OpaPolicy.inferenceScope}). */
export class InferenceScope implements IOpaPolicy {
  public readonly packageName: string;
  public readonly description = 'CONTROLS.md Z6-K01/Z8-K08: invoke a declared model version only with its scope, from its own tenant, over mTLS.';
  private readonly models: readonly InferenceModel[];
  private readonly requireMtls: unknown;

  constructor(props: InferenceScopeProps) {
    Object.defineProperty(this, GENERATED_POLICY, { value: true });
    this.packageName = props?.package;
    this.models = props?.models;
    this.requireMtls = props?.requireMtls ?? true;
  }

  public problems(): string[] {
    const out: string[] = [];
    const pkg = packageProblem('package', this.packageName);
    if (pkg) out.push(pkg);
    if (typeof this.requireMtls !== 'boolean') out.push(`prop 'requireMtls' must be true or false (got ${describeValue(this.requireMtls)})`);
    if (!Array.isArray(this.models) || this.models.length === 0) {
      out.push(`prop 'models' must list at least one model { name, versions } (got ${describeValue(this.models)})`);
      return out;
    }
    const names = new Set<string>();
    this.models.forEach((m, i) => {
      const at = `models[${i}]`;
      if (typeof m?.name !== 'string' || !MODEL.test(m.name)) out.push(`prop '${at}.name' must be 1-64 lower-case letters, digits, "-" or "_", starting with a letter (got ${describeValue(m?.name)})`);
      else if (names.has(m.name)) out.push(`prop '${at}.name' must be unique: '${m.name}' is listed twice`);
      else names.add(m.name);
      const versions = m?.versions;
      if (!Array.isArray(versions) || versions.length === 0 || versions.some((v) => typeof v !== 'string' || !VERSION.test(v)) || new Set(versions).size !== versions.length) {
        out.push(`prop '${at}.versions' must be a non-empty list of distinct versions of letters, digits, ".", "_", "+" or "-" (no ":" or spaces) (got ${describeValue(versions)})`);
      }
      const tenants = m?.tenants;
      if (tenants !== undefined && (!Array.isArray(tenants) || tenants.length === 0 || tenants.some((t) => typeof t !== 'string' || !TENANT.test(t)) || new Set(tenants).size !== tenants.length)) {
        out.push(`prop '${at}.tenants' must be omitted (any tenant) or a non-empty list of distinct lower-case tenant ids (got ${describeValue(tenants)})`);
      }
    });
    return out;
  }

  public renderPolicy(source: string): string {
    const models = Object.fromEntries(this.models.map((m) => [m.name, { tenants: [...(m.tenants ?? [])].sort(), versions: [...m.versions].sort() }]));
    const mtls = this.requireMtls ? '\tinput.mtls == true\n' : '';
    return `${regoHeader(this.description, source)}package ${this.packageName}

# The models that may be invoked: versions, and tenants (empty: any tenant).
models := ${regoLiteral(models, true)}

default allow := false

allow if {
${mtls}	input.version in models[input.model].versions
	required_scope in granted_scopes
	is_string(input.tenant)
	input.tenant != ""
	input.claims.tenant == input.tenant
	tenant_served
}

required_scope := sprintf("inference:%s:%s:invoke", [input.model, input.version])

# The token's scopes: the space-separated \`scope\` claim (RFC 8693 / Keycloak).
granted_scopes contains scope if {
	is_string(input.claims.scope)
	some scope in split(input.claims.scope, " ")
}

tenant_served if count(models[input.model].tenants) == 0

tenant_served if input.tenant in models[input.model].tenants
`;
  }

  public testCases(): RegoCase[] {
    const cases: RegoCase[] = [];
    for (const m of this.models) {
      const tenant = m.tenants?.[0] ?? 'tenant-a';
      for (const version of m.versions) {
        const scope = `inference:${m.name}:${version}:invoke`;
        const ok = { model: m.name, version, tenant, mtls: true, claims: { scope: `openid ${scope}`, tenant } };
        cases.push({ name: `${m.name} ${version} with its scope and tenant`, input: ok, allow: true });
        cases.push({ name: `${m.name} ${version} without its scope`, input: { ...ok, claims: { scope: 'openid', tenant } }, allow: false });
        cases.push({ name: `${m.name} ${version} with the scope of another version`, input: { ...ok, claims: { scope: `inference:${m.name}:${version}-other:invoke`, tenant } }, allow: false });
        cases.push({ name: `${m.name} ${version} for another tenant than the token's`, input: { ...ok, tenant: `${tenant}-other` }, allow: false });
        cases.push({ name: `${m.name} ${version} with an empty tenant`, input: { ...ok, tenant: '', claims: { scope, tenant: '' } }, allow: false });
        if (this.requireMtls) cases.push({ name: `${m.name} ${version} without mtls`, input: { ...ok, mtls: false }, allow: false });
      }
      const undeclared = `${m.versions[0]}-undeclared`;
      cases.push({ name: `${m.name} undeclared version`, input: { model: m.name, version: undeclared, tenant, mtls: true, claims: { scope: `inference:${m.name}:${undeclared}:invoke`, tenant } }, allow: false });
      if (m.tenants && m.tenants.length > 0) {
        const foreign = 'tenant-not-served';
        cases.push({ name: `${m.name} for a tenant it does not serve`, input: { model: m.name, version: m.versions[0], tenant: foreign, mtls: true, claims: { scope: `inference:${m.name}:${m.versions[0]}:invoke`, tenant: foreign } }, allow: false });
      }
    }
    cases.push({ name: 'an undeclared model', input: { model: 'undeclared-model', version: 'v1', tenant: 't', mtls: true, claims: { scope: 'inference:undeclared-model:v1:invoke', tenant: 't' } }, allow: false });
    cases.push({ name: 'an empty input', input: {}, allow: false });
    return cases;
  }
}
