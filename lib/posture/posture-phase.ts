import { IConstruct } from 'constructs';
import { App } from '../core/app';
import { RenderedDocument } from '../core/document';
import { ValidationError } from '../core/errors';
import { ISynthPhase, SynthPhaseContext } from '../core/synth-phase';
import { Vps } from '../core/vps';
import { AcknowledgementResolver } from './acknowledgement-resolver';
import { Finding } from './finding';
import { Posture } from './posture';
import { PostureError } from './posture-error';
import { PostureModel } from './posture-model';
import { renderPostureReports } from './reports/posture-reports';
import { ZoneProfiles } from './zone-profile';
import { RuleCatalog } from './rule-catalog';
import { evaluateRules } from './rule-evaluator';
import { DOCUMENT_KINDS, DocumentKind, SourceDocument } from './source-document';

/**
 * The synth phase that runs every rule pack over each Vps's rendered documents, writes the
 * posture reports into `<vps>/posture/`, and fails the synth on unacknowledged error findings,
 * on acknowledgements that match nothing and on attempts to silence unsuppressible rules.
 */
export class PosturePhase implements ISynthPhase {
  public readonly name = 'posture';

  public run(context: SynthPhaseContext): RenderedDocument[] {
    const resolver = new AcknowledgementResolver(Posture.acknowledgementsIn(context.root));
    const reports: RenderedDocument[] = [];
    const failures: PostureError[] = [];
    for (const vps of hostsOf(context.root)) {
      const model = modelOf(vps, context.documents);
      const rules = RuleCatalog.rules();
      const findings = evaluateRules(model, rules, (finding, rule) => resolver.resolve(finding, rule, model, vps.node.path));
      const reportOnly = App.isApp(context.root) ? context.root.postureReportOnly : undefined;
      reports.push(...renderPostureReports({ vps, model, findings, rules: RuleCatalog.packs(), reportOnly, zones: ZoneProfiles.of(vps) }));
      const blocking = findings.filter((f) => f.level === 'error' && !f.acknowledged);
      if (blocking.length > 0) failures.push(new PostureError(vps.name, blocking, (id) => RuleCatalog.rule(id)));
    }
    const ackProblems = resolver.problems();
    if (ackProblems.length > 0) throw new ValidationError(ackProblems, 'acknowledgement');
    if (App.isApp(context.root) && context.root.postureReportOnly !== undefined) return reports;
    if (failures.length > 0) throw failures.length === 1 ? failures[0] : new PostureError(failures.map((f) => f.vps).join(', '), failures.flatMap((f) => f.findings), (id) => RuleCatalog.rule(id));
    return reports;
  }
}

/** Findings of one host, for reports and tests. */
export interface HostFindings {
  /** The host. */
  readonly vps: Vps;
  /** Its findings. */
  readonly findings: readonly Finding[];
}

function hostsOf(root: IConstruct): Vps[] {
  return root.node.findAll().filter(Vps.isVps);
}

function modelOf(vps: Vps, documents: readonly RenderedDocument[]): PostureModel {
  const prefix = `${vps.name}/`;
  const sources = documents
    .filter((d) => d.path.startsWith(prefix) && DOCUMENT_KINDS.includes(d.kind as DocumentKind))
    .map((d) => {
      const kind = d.kind as DocumentKind;
      const source = kind === 'vault-policy' || kind === 'vault-config'
        ? SourceDocument.fromHcl(kind, d.path, d.content, d.data)
        : d.data !== undefined && d.locations !== undefined
          ? SourceDocument.fromData(kind, d.path, d.content, d.data, d.locations)
          : kind === 'keycloak-realm' || kind === 's3-policy'
            ? SourceDocument.fromJson(kind, d.path, d.content)
            : SourceDocument.parseYaml(kind, d.path, d.content);
      source.producer = d.producer;
      return source;
    });
  return new PostureModel(sources);
}
