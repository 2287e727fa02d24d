import { RenderedDocument } from '../../core/document';
import { renderCoverageMarkdown } from './coverage-markdown';
import { buildPostureReport, PostureReportInput, renderReportJson } from './report-json';
import { renderReportMarkdown } from './report-markdown';
import { renderSarif } from './report-sarif';

export type { PostureReportInput } from './report-json';

/** The folder of a host's posture reports, below the output directory. */
export function postureReportDir(vpsName: string): string {
  return `${vpsName}/posture`;
}

/**
 * Renders the posture reports of one host into `<vps>/posture/`: `report.json` (findings,
 * acknowledgements, catalog version, coverage matrix), `report.md` (for people), `report.sarif`
 * (SARIF 2.1.0 for code scanning) and `coverage.md` (the framework coverage matrix). Every file is
 * deterministic: canonical ordering, no timestamps, no absolute paths.
 */
export function renderPostureReports(input: PostureReportInput): RenderedDocument[] {
  const producer = input.vps.node.path;
  const base = postureReportDir(input.vps.name);
  const report = buildPostureReport(input);
  const sarif = renderSarif({
    rules: input.rules.flatMap((p) => p.rules),
    findings: report.findings,
    uriBase: { id: 'OUTDIR', description: 'The synth output directory (the folder holding manifest.json).' },
    automationId: `mlsec-cdk/${input.vps.name}/`,
  });
  return [
    { path: `${base}/coverage.md`, producer, content: renderCoverageMarkdown(report) },
    { path: `${base}/report.json`, producer, content: renderReportJson(report) },
    { path: `${base}/report.md`, producer, content: renderReportMarkdown(report) },
    { path: `${base}/report.sarif`, producer, content: sarif },
  ];
}
