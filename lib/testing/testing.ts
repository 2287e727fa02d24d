import { App, AppProps } from '../core/app';
import { Assembly } from '../core/assembly';
import { synthesize } from '../core/synthesizer';

/** The outdir of {@link Testing.app}: fixed, so output never depends on MLSEC_OUTDIR. */
export const TESTING_OUTDIR = 'synth-out';
/** The secretsDir of {@link Testing.app}: fixed, so output never depends on MLSEC_SECRETS_DIR. */
export const TESTING_SECRETS_DIR = 'secrets';

/** Entry points for unit tests of constructs and apps (as cdk8s' `Testing`). */
export class Testing {
  /**
   * An App whose outdir and secretsDir are fixed (`synth-out`, `secrets`) unless given, so that
   * what it synthesizes does not depend on the environment the tests run in.
   */
  public static app(props: AppProps = {}): App {
    // `??`, not a spread: an explicit `undefined` must not fall back to the environment.
    return new App({ outdir: props.outdir ?? TESTING_OUTDIR, secretsDir: props.secretsDir ?? TESTING_SECRETS_DIR });
  }

  /**
   * Runs the whole synth pipeline (validate, render, verify, manifest) in memory and returns the
   * assembly; nothing is written to disk. The same tree always yields byte-identical files.
   */
  public static synth(app: App): Assembly {
    if (!App.isApp(app)) {
      const path = (app as { node?: { path?: string } } | undefined)?.node?.path;
      throw new Error(`Testing.synth() expects the App at the root of the tree, got ${path === undefined ? String(app) : `construct '${path}'`}`);
    }
    return synthesize(app);
  }

  private constructor() {}
}
