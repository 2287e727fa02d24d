import { MlsecError } from '../core/errors';
import { Finding } from './finding';
import { Rule } from './rule';

/** Unacknowledged error-level findings: the synth fails and says where and how to fix each. */
export class PostureError extends MlsecError {
  constructor(
    /** The host whose documents failed. */
    public readonly vps: string,
    /** The failing findings. */
    public readonly findings: readonly Finding[],
    rules: (id: string) => Rule,
  ) {
    const lines = findings.map((f) => {
      const where = f.constructPath ? `[${f.constructPath}] ` : '';
      return `  - ${f.granularId} ${where}${f.file}:${f.line}:${f.column} ${f.path}: ${f.message}\n    fix: ${rules(f.ruleId).remediation}`;
    });
    const noun = findings.length === 1 ? 'finding' : 'findings';
    super(`Posture check failed for '${vps}' with ${findings.length} unacknowledged error ${noun}:\n${lines.join('\n')}\n(acknowledge a finding with Posture.of(construct).acknowledge(id, reason) only when the risk is accepted)`);
    this.name = 'PostureError';
    this.stack = `${this.name}: ${this.message}`;
  }
}
