import { describeValue } from '../../core/prop-rules';
import { GENERATED_POLICY, type IOpaPolicy, type RegistryDownloadProps, type RegistryStage } from './opa-policy-types';
import { packageProblem, RegoCase, regoHeader, regoLiteral } from './rego';

const STAGES: readonly RegistryStage[] = ['Approved', 'Staging'];
const ROLE = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
/** 2030-01-01T00:00:00Z in nanoseconds: the clock the generated tests pin with `time.now_ns`. */
const TEST_NOW_NS = '1893456000000000000';

/** Z5-K06 / Z6-K04 `registry.download` ({@link OpaPolicy.registryDownload}). */
export class RegistryDownload implements IOpaPolicy {
  public readonly packageName: string;
  public readonly description = 'CONTROLS.md Z5-K06/Z6-K04: download only allowed stages, same tenant, allowed roles, not revoked or quarantined, revalidation not past.';
  private readonly stages: unknown;
  private readonly roles: unknown;

  constructor(props: RegistryDownloadProps) {
    Object.defineProperty(this, GENERATED_POLICY, { value: true });
    this.packageName = props?.package;
    this.stages = props?.stages ?? ['Approved'];
    this.roles = props?.roles ?? ['Serving'];
  }

  public problems(): string[] {
    const out: string[] = [];
    const pkg = packageProblem('package', this.packageName);
    if (pkg) out.push(pkg);
    const stages = this.stages;
    if (!Array.isArray(stages) || stages.length === 0 || stages.some((s) => !STAGES.includes(s)) || new Set(stages).size !== stages.length) {
      out.push(`prop 'stages' must be a non-empty list of distinct stages from ${STAGES.join(', ')} (got ${describeValue(stages)})`);
    }
    const roles = this.roles;
    if (!Array.isArray(roles) || roles.length === 0 || roles.some((r) => typeof r !== 'string' || !ROLE.test(r)) || new Set(roles).size !== roles.length) {
      out.push(`prop 'roles' must be a non-empty list of distinct role names (letters, digits, "-", "_", starting with a letter) (got ${describeValue(roles)})`);
    }
    return out;
  }

  public renderPolicy(source: string): string {
    return `${regoHeader(this.description, source)}package ${this.packageName}

# The stages a version may be downloaded from, and the roles that may download.
stages := ${regoLiteral([...(this.stages as string[])].sort())}

roles := ${regoLiteral([...(this.roles as string[])].sort())}

default allow := false

allow if {
	input.model.stage in stages
	input.subject.role in roles
	is_string(input.subject.tenant)
	input.subject.tenant != ""
	input.subject.tenant == input.model.tenant
	# Explicit false: a missing flag is a deny.
	input.model.revoked == false
	input.model.quarantined == false
	# An unparseable date is an error, and an error is a deny.
	time.parse_rfc3339_ns(input.model.revalidate_by) > time.now_ns()
}
`;
  }

  public testCases(): RegoCase[] {
    const stages = this.stages as RegistryStage[];
    const roles = this.roles as string[];
    const clock = `time.now_ns as ${TEST_NOW_NS}`;
    const model = { name: 'churn', version: '2.1.0', stage: stages[0], tenant: 'tenant-a', revoked: false, quarantined: false, revalidate_by: '2030-06-30T00:00:00Z' };
    const ok = { subject: { role: roles[0], tenant: 'tenant-a' }, model };
    const cases: RegoCase[] = stages.map((stage) => ({ name: `a ${stage} version to ${roles[0]} of its tenant`, input: { ...ok, model: { ...model, stage } }, allow: true, with: clock }));
    for (const stage of ['Candidate', 'Revoked', 'Quarantined', ...STAGES].filter((s) => !stages.includes(s as RegistryStage))) {
      cases.push({ name: `a ${stage} version`, input: { ...ok, model: { ...model, stage } }, allow: false, with: clock });
    }
    cases.push(
      { name: 'another tenant', input: { ...ok, subject: { ...ok.subject, tenant: 'tenant-b' } }, allow: false, with: clock },
      { name: 'a role not allowed', input: { ...ok, subject: { ...ok.subject, role: roles.includes('Admin') ? 'Nobody' : 'Admin' } }, allow: false, with: clock },
      { name: 'a revoked version', input: { ...ok, model: { ...model, revoked: true } }, allow: false, with: clock },
      { name: 'a quarantined version', input: { ...ok, model: { ...model, quarantined: true } }, allow: false, with: clock },
      { name: 'a version without a revoked flag', input: { ...ok, model: { ...model, revoked: undefined } }, allow: false, with: clock },
      { name: 'a version past revalidate_by', input: { ...ok, model: { ...model, revalidate_by: '2029-12-31T23:59:59Z' } }, allow: false, with: clock },
      { name: 'an unparseable revalidate_by', input: { ...ok, model: { ...model, revalidate_by: 'soon' } }, allow: false, with: clock },
      { name: 'an empty tenant', input: { subject: { ...ok.subject, tenant: '' }, model: { ...model, tenant: '' } }, allow: false, with: clock },
      { name: 'an empty input', input: {}, allow: false, with: clock },
    );
    return cases;
  }
}
