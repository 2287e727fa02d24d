import { IConstruct } from 'constructs';
import { MlsecError } from '../core/errors';
import { checkReason, describeValue } from '../core/prop-rules';
import { Assembly } from '../core/assembly';
import { PostureAssertions } from './posture-assertions';

/** An acknowledgement made on a construct. */
export interface ConstructAcknowledgement {
  /** Rule id (`CMP-23`) or granular id (`VLT-20[kv/data/*]`). */
  readonly selector: string;
  /** Why the finding is accepted. */
  readonly reason: string;
  /** Path of the construct it was made on. */
  readonly scope: string;
}

const ACKS = new WeakMap<IConstruct, ConstructAcknowledgement[]>();
const SELECTOR = /^(?:CMP|TRF|VLT|KC|ZONE)-[0-9]{2}(?:\[[^\]\n]{1,200}\])?$/;

/**
 * The posture handle of a construct: acknowledgements made here apply to findings produced by
 * this construct and every construct below it (as cdk-nag suppressions, but with ids checked and
 * reasons required). Every acknowledgement is printed in the posture report for auditors; one
 * that matches no finding, or targets an unsuppressible rule, fails the synth.
 */
export class Posture {
  /** The posture handle of `scope`. */
  public static of(scope: IConstruct): Posture {
    return new Posture(scope);
  }

  /** Assertions on the posture reports of a synthesized assembly (see `Testing.synth`). */
  public static fromAssembly(assembly: Assembly): PostureAssertions { return PostureAssertions.fromAssembly(assembly); }

  /** Every acknowledgement made anywhere in the tree below (and including) `root`. */
  public static acknowledgementsIn(root: IConstruct): ConstructAcknowledgement[] {
    return root.node.findAll().flatMap((c) => ACKS.get(c) ?? []);
  }

  private constructor(private readonly scope: IConstruct) {}

  /**
   * Accepts findings of `selector` (a rule id such as `CMP-23`, or a granular id such as
   * `CMP-23[api]`) at this construct and below, for `reason` (at least 10 characters).
   */
  public acknowledge(selector: string, reason: string): void {
    const path = this.scope.node.path || '<app>';
    if (typeof selector !== 'string' || !SELECTOR.test(selector)) {
      throw new MlsecError(`[${path}] prop 'acknowledge.selector' must be a rule id such as 'CMP-23' or a granular id such as 'VLT-20[kv/data/*]' (got ${describeValue(selector)})`);
    }
    const problem = checkReason('acknowledge.reason', reason);
    if (problem) throw new MlsecError(`[${path}] ${problem}`);
    const list = ACKS.get(this.scope) ?? [];
    list.push({ selector, reason: reason.trim(), scope: path });
    ACKS.set(this.scope, list);
  }

  /** The acknowledgements made on this construct itself. */
  public get acknowledgements(): readonly ConstructAcknowledgement[] {
    return ACKS.get(this.scope) ?? [];
  }
}
