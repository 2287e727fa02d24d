import { Construct, IConstruct } from 'constructs';
import { Assembly } from './assembly';
import { AtomicWriter } from './atomic-writer';
import { StagedOutput } from './staged-output';
import { MlsecError } from './errors';
import { NameRegistry } from './names';
import { checkReason } from './prop-rules';
import { Vps } from './vps';
import { synthesize } from './synthesizer';

const APP = Symbol.for('mlsec-cdk.App');

/** Props of an {@link App}. */
export interface AppProps {
  /**
   * Directory the synth writes into (owned by the synth: replaced as a whole).
   * @default the MLSEC_OUTDIR environment variable, else `synth-out`
   */
  readonly outdir?: string;
  /**
   * Operator-only folder for bootstrap secrets, outside the outdir and never written by synth;
   * compose files reference files below `<secretsDir>/<vps>/`.
   * @default the MLSEC_SECRETS_DIR environment variable, else `secrets`
   */
  readonly secretsDir?: string;
  /**
   * Turns posture enforcement into reporting: findings are still computed and written to the
   * posture report, which also prints this opt-out and its reason, but unacknowledged errors do
   * not fail the synth. Meant for tests whose subject is rendering, never for a deployed lab.
   * @default enforced
   */
  readonly postureReportOnly?: { readonly reason: string };
}

/** The root of a construct tree: one or more {@link Vps} hosts, synthesized together. */
export class App extends Construct {
  /** Whether `x` is an App. */
  public static isApp(x: unknown): x is App {
    return x !== null && typeof x === 'object' && APP in x;
  }

  /** The App at the root of `scope`'s tree. */
  public static of(scope: IConstruct): App {
    const root = scope.node.root;
    if (!App.isApp(root)) throw new MlsecError(`[${scope.node.path}] is not inside an App; create it under \`new App()\``);
    return root;
  }

  /** Directory the synth writes into. */
  public readonly outdir: string;
  /** Operator-only secrets folder (never written by synth). */
  public readonly secretsDir: string;
  /** The posture opt-out, when the App was created report-only. */
  public readonly postureReportOnly?: { readonly reason: string };

  constructor(props: AppProps = {}) {
    super(undefined as any, '');
    Object.defineProperty(this, APP, { value: true });
    this.outdir = props.outdir ?? process.env.MLSEC_OUTDIR ?? 'synth-out';
    this.secretsDir = props.secretsDir ?? process.env.MLSEC_SECRETS_DIR ?? 'secrets';
    this.postureReportOnly = props.postureReportOnly;
    this.node.addValidation({ validate: () => [...this.hostNameCollisions(), ...this.optOutProblems()] });
  }

  private optOutProblems(): string[] {
    if (this.postureReportOnly === undefined) return [];
    const problem = checkReason('postureReportOnly.reason', this.postureReportOnly?.reason);
    return problem ? [problem] : [];
  }

  /** Two hosts whose ids normalize to one folder name would overwrite each other's files. */
  private hostNameCollisions(): string[] {
    const registry = new NameRegistry('Vps');
    for (const child of this.node.children) {
      if (Vps.isVps(child)) registry.claim(child.name, child.node.path);
    }
    return registry.issues.map((i) => i.message);
  }

  /**
   * Validates, renders and verifies everything, then replaces the outdir atomically. With the
   * environment variable MLSEC_SYNTH_CHECK=1 it writes nothing and throws when the outdir is stale.
   */
  public synth(): Assembly {
    if (process.env.MLSEC_SYNTH_CHECK !== '1') {
      // Files are written by a worker thread as they are settled, overlapping the posture check;
      // only a complete, successful synth replaces the outdir.
      const writer = new AtomicWriter();
      const staged = StagedOutput.start(this.outdir, (target) => writer.assertOwned(target));
      try {
        const assembly = synthesize(this, { onFiles: (files) => staged.write(files) });
        staged.commit();
        return assembly;
      } catch (err) {
        staged.abort();
        throw err;
      }
    }
    const assembly = synthesize(this);
    const drift = new AtomicWriter().diff(assembly, this.outdir);
    const lines = [
      ...drift.missing.map((f) => `  missing: ${f}`),
      ...drift.changed.map((f) => `  changed: ${f}`),
      ...drift.extra.map((f) => `  extra:   ${f}`),
    ];
    if (lines.length > 0) {
      throw new MlsecError(`${this.outdir} is stale; run \`npx projen synth\` and commit the result:\n${lines.join('\n')}`);
    }
    return assembly;
  }
}
