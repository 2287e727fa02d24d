#!/usr/bin/env node
/**
 * `mlsec`: the posture rules of mlsec-cdk, on files nobody synthesized.
 *
 *   npx mlsec check [--format text|json|sarif] [--type TYPE] [--min-severity S] FILE...
 *   npx mlsec rules [--format text|json]
 *
 * Tests call {@link main} in-process; run directly, it calls it with `process.argv` and sets the
 * exit code. It never prints a stack trace: every failure is one message and exit status 2.
 */
import { CATALOG_VERSION } from '../posture/rule-catalog';
import { parseArgs } from './cli-args';
import { CliIo, EXIT_OK, EXIT_USAGE, UsageError } from './cli-io';
import { runCheck } from './check-command';
import { formatRules } from './finding-output';

export type { CliIo, CliWriter } from './cli-io';

/** Help for the whole tool. */
export const MAIN_USAGE = `usage: mlsec <command> [options]

Audits compose, Traefik, Vault and Keycloak files with the mlsec-cdk posture rules.

commands:
  check [options] FILE...     check files and print the findings
  rules [--format text|json]  list the rule catalog (id, title, severity, level, controls)
  help [check|rules]          show help for a command

options:
  -h, --help                  show this help
  -v, --version               print the rule catalog version
`;

/** Help for `mlsec check`. */
export const CHECK_USAGE = `usage: mlsec check [--format text|json|sarif] [--type TYPE] [--min-severity SEVERITY] FILE...

Checks FILEs with every posture rule. Files given together are checked together, so the
cross-file rules (routers, zones, policies) see all of them.

options:
  --format text|json|sarif  output on stdout (default: text)
                              text   one line per finding: file:line:col severity ruleId message
                              json   {"findings":[{"ruleId","severity","file","line","column","path","message"}]}
                              sarif  SARIF 2.1.0, for GitHub code scanning (acknowledged findings are
                                     suppressed results)
  --type TYPE               the type of every FILE; by default it is detected per file from its
                            content and name. TYPE is one of: compose, traefik-dynamic,
                            traefik-static, vault-policy, vault-config, keycloak-realm,
                            s3-policy (a MinIO/S3 bucket policy, judged with the compose file)
  --min-severity SEVERITY   only findings at SEVERITY or worse are printed AND counted for the exit
                            status: critical, high, medium, low, info (default: info, i.e. all)
  -h, --help                show this help

Findings a compose file acknowledges itself (x-mlsec.overrides with a reason) are not printed
in text or json and do not count. A summary goes to stderr in text format.

exit status:
  0  no error-level finding
  1  at least one error-level finding
  2  usage error, or a FILE that cannot be read, parsed (file:line:col: cannot parse: …)
     or recognized
`;

/** Help for `mlsec rules`. */
export const RULES_USAGE = `usage: mlsec rules [--format text|json]

Lists the rule catalog: id, title, severity, level (error fails, warning and info report) and the
framework controls each rule evidences.

options:
  --format text|json  output on stdout (default: text)
  -h, --help          show this help
`;

/**
 * Runs `mlsec` with `argv` (the arguments after the script name), writing to `io`; resolves to
 * the exit status (0, 1 or 2) and never rejects.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let topic: string | undefined;
  try {
    const command = parseArgs(argv);
    switch (command.command) {
      case 'help':
        io.stdout.write(command.topic === 'check' ? CHECK_USAGE : command.topic === 'rules' ? RULES_USAGE : MAIN_USAGE);
        return EXIT_OK;
      case 'version':
        io.stdout.write(`mlsec-cdk rule catalog ${CATALOG_VERSION}\n`);
        return EXIT_OK;
      case 'rules':
        io.stdout.write(formatRules(command.format));
        return EXIT_OK;
      case 'check':
        topic = 'check';
        return await runCheck(command, io);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      const help = err.command === 'check' ? 'mlsec check --help' : err.command === 'rules' ? 'mlsec rules --help' : 'mlsec --help';
      safeWrite(io, `mlsec: ${err.message} (see \`${help}\`)\n`);
      return EXIT_USAGE;
    }
    const message = err instanceof Error ? err.message : String(err);
    safeWrite(io, `mlsec: internal error${topic ? ` in ${topic}` : ''}: ${message.split('\n')[0]}\n`);
    return EXIT_USAGE;
  }
}

function safeWrite(io: CliIo, text: string): void {
  try {
    io.stderr.write(text);
  } catch {
    // Nowhere left to report to.
  }
}

if (require.main === module) {
  main(process.argv.slice(2), process).then(
    (code) => {
      process.exitCode = code;
    },
    () => {
      process.exitCode = EXIT_USAGE;
    },
  );
}
