import { readFileSync, statSync } from 'fs';
import { documentAcknowledgement } from '../posture/acknowledgement-resolver';
import { Finding } from '../posture/finding';
import { PostureModel } from '../posture/posture-model';
import { RuleCatalog } from '../posture/rule-catalog';
import { evaluateRules } from '../posture/rule-evaluator';
import { atLeast } from '../posture/severity';
import { DocumentParseError, SourceDocument } from '../posture/source-document';
import { CheckCommand } from './cli-args';
import { CliIo, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError } from './cli-io';
import { detectDocumentType } from './document-type';
import { formatFindings } from './finding-output';

/**
 * `mlsec check`: reads each file, detects (or takes) its type, parses it, runs every rule over all
 * files together (so cross-file rules see them all) and prints the findings at or above
 * `--min-severity`. Problems with one file (unreadable, unparsable, unknown type) are reported on
 * stderr and the other files are still checked. Exit status: 2 when any file had a problem, else 1
 * when a printed finding is error-level, else 0.
 */
export async function runCheck(command: CheckCommand, io: CliIo): Promise<number> {
  const documents: SourceDocument[] = [];
  const problems: string[] = [];
  const files = [...new Set(command.files)];
  for (const file of files) {
    try {
      documents.push(await loadDocument(file, command));
    } catch (err) {
      if (err instanceof DocumentParseError || err instanceof UsageError) problems.push(err.message);
      else throw err;
    }
  }

  const model = new PostureModel(documents);
  const findings: Finding[] = documents.length === 0
    ? []
    : evaluateRules(model, RuleCatalog.rules(), (finding, rule) => (rule.unsuppressible ? undefined : documentAcknowledgement(finding, model)));
  const shown = findings.filter((f) => atLeast(f.severity, command.minSeverity));

  io.stdout.write(formatFindings(command.format, shown));
  for (const problem of problems) io.stderr.write(`mlsec: ${problem}\n`);
  const open = shown.filter((f) => !f.acknowledged);
  const errors = open.filter((f) => f.level === 'error').length;
  if (command.format === 'text') {
    const acknowledged = shown.length - open.length;
    const checked = `${documents.length} of ${files.length} file${files.length === 1 ? '' : 's'} checked`;
    const noun = open.length === 1 ? 'finding' : 'findings';
    const ackNote = acknowledged > 0 ? `; ${acknowledged} acknowledged in the files themselves, not shown` : '';
    const filter = command.minSeverity !== 'info' ? ` at ${command.minSeverity} or above` : '';
    io.stderr.write(`mlsec: ${checked}: ${open.length} ${noun}${filter} (${errors} error-level)${ackNote}\n`);
  }
  if (problems.length > 0) return EXIT_USAGE;
  return errors > 0 ? EXIT_FINDINGS : EXIT_OK;
}

async function loadDocument(file: string, command: CheckCommand): Promise<SourceDocument> {
  const text = readText(file);
  try {
    if (command.type) return await SourceDocument.parse(command.type, file, text);
    const detected = detectDocumentType(file, text);
    return detected.document ?? (await SourceDocument.parse(detected.kind, file, text));
  } catch (err) {
    if (err instanceof DocumentParseError || err instanceof UsageError) throw err;
    // The parsers' own failures (e.g. a YAML `!!binary` value the engine cannot freeze) are still
    // the file's problem, not a crash.
    throw new UsageError(`${file}: cannot parse: ${String((err as Error)?.message ?? err).split('\n')[0]}`);
  }
}

function readText(file: string): string {
  try {
    if (statSync(file).isDirectory()) throw new UsageError(`${file}: is a directory; give the files to check`);
    return readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException)?.code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String((err as Error)?.message ?? err);
    throw new UsageError(`${file}: cannot read: ${reason}`);
  }
}
