import { Severity, SEVERITIES } from '../posture/severity';
import { DOCUMENT_KINDS, DocumentKind } from '../posture/source-document';
import { UsageError } from './cli-io';

/** Output formats of `mlsec check`. */
export type CheckFormat = 'text' | 'json' | 'sarif';
/** Output formats of `mlsec rules`. */
export type RulesFormat = 'text' | 'json';

/** What `mlsec check` was asked to do. */
export interface CheckCommand {
  readonly command: 'check';
  readonly format: CheckFormat;
  /** The type of every file, when given; else detected per file. */
  readonly type?: DocumentKind;
  /** Findings below this severity are neither printed nor counted. */
  readonly minSeverity: Severity;
  /** The files, in the order given. */
  readonly files: readonly string[];
}

/** What `mlsec rules` was asked to do. */
export interface RulesCommand {
  readonly command: 'rules';
  readonly format: RulesFormat;
}

/** `mlsec help [command]`, `--help`, `--version`. */
export interface InfoCommand {
  readonly command: 'help' | 'version';
  /** The command help was asked for. */
  readonly topic?: 'check' | 'rules';
}

/** A parsed command line. */
export type ParsedCommand = CheckCommand | RulesCommand | InfoCommand;

const COMMANDS = ['check', 'rules', 'help'] as const;

/** Parses `mlsec` arguments (without `node` and the script); throws {@link UsageError}. */
export function parseArgs(argv: readonly string[]): ParsedCommand {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError('no command given');
  if (first === '-h' || first === '--help') return { command: 'help' };
  if (first === '-v' || first === '--version') return { command: 'version' };
  if (first === 'help') {
    const topic = rest[0];
    if (topic === undefined) return { command: 'help' };
    if (topic === 'check' || topic === 'rules') return { command: 'help', topic };
    throw new UsageError(`no help for '${topic}': commands are ${COMMANDS.join(', ')}`);
  }
  if (first === 'check') return parseCheck(rest);
  if (first === 'rules') return parseRules(rest);
  throw new UsageError(`unknown command '${first}': commands are ${COMMANDS.join(', ')}`);
}

function parseCheck(argv: readonly string[]): CheckCommand | InfoCommand {
  let format: CheckFormat = 'text';
  let type: DocumentKind | undefined;
  let minSeverity: Severity = 'info';
  const files: string[] = [];
  const options = new OptionReader(argv, 'check');
  for (let arg = options.next(); arg !== undefined; arg = options.next()) {
    if (arg.file !== undefined) {
      files.push(arg.file);
      continue;
    }
    switch (arg.flag) {
      case '-h':
      case '--help':
        return { command: 'help', topic: 'check' };
      case '--format':
        format = oneOf(arg.flag, options.value(arg), ['text', 'json', 'sarif'] as const, 'check');
        break;
      case '--type':
        type = oneOf(arg.flag, options.value(arg), DOCUMENT_KINDS, 'check');
        break;
      case '--min-severity':
        minSeverity = oneOf(arg.flag, options.value(arg), SEVERITIES, 'check');
        break;
      default:
        throw new UsageError(`unknown option '${arg.flag}'`, 'check');
    }
  }
  if (files.length === 0) throw new UsageError('no FILE given', 'check');
  return { command: 'check', format, type, minSeverity, files };
}

function parseRules(argv: readonly string[]): RulesCommand | InfoCommand {
  let format: RulesFormat = 'text';
  const options = new OptionReader(argv, 'rules');
  for (let arg = options.next(); arg !== undefined; arg = options.next()) {
    if (arg.file !== undefined) throw new UsageError(`unexpected argument '${arg.file}'`, 'rules');
    switch (arg.flag) {
      case '-h':
      case '--help':
        return { command: 'help', topic: 'rules' };
      case '--format':
        format = oneOf(arg.flag, options.value(arg), ['text', 'json'] as const, 'rules');
        break;
      default:
        throw new UsageError(`unknown option '${arg.flag}'`, 'rules');
    }
  }
  return { command: 'rules', format };
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[], command: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${flag} must be one of ${allowed.join(', ')} (got '${value}')`, command);
}

/** Walks arguments: `--flag value`, `--flag=value`, `--` (everything after is a file), files. */
class OptionReader {
  private index = 0;
  private filesOnly = false;

  constructor(private readonly argv: readonly string[], private readonly command: string) {}

  public next(): { flag: string; inline?: string; file?: undefined } | { file: string; flag?: undefined } | undefined {
    const arg = this.argv[this.index++];
    if (arg === undefined) return undefined;
    if (this.filesOnly || arg === '-' || !arg.startsWith('-')) return { file: arg };
    if (arg === '--') {
      this.filesOnly = true;
      return this.next();
    }
    const eq = arg.indexOf('=');
    return eq > 0 && arg.startsWith('--') ? { flag: arg.slice(0, eq), inline: arg.slice(eq + 1) } : { flag: arg };
  }

  public value(arg: { flag: string; inline?: string }): string {
    if (arg.inline !== undefined) return arg.inline;
    const value = this.argv[this.index++];
    if (value === undefined || (value.startsWith('--') && value.length > 2)) throw new UsageError(`${arg.flag} needs a value`, this.command);
    return value;
  }
}
