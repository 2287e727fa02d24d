import { checkInteger, collect, describeValue } from '../core/prop-rules';
import { Healthcheck } from '../compose/generated/compose-spec';

/** Timing of a health check. */
export interface HealthCheckOptions {
  /**
   * Seconds between checks.
   * @default 30
   */
  readonly intervalSeconds?: number;
  /**
   * Seconds before one check counts as failed.
   * @default 5
   */
  readonly timeoutSeconds?: number;
  /**
   * Consecutive failures before the container is unhealthy.
   * @default 3
   */
  readonly retries?: number;
  /**
   * Seconds of start-up grace during which failures do not count.
   * @default 10
   */
  readonly startPeriodSeconds?: number;
}

/** How compose decides that a workload is healthy (and when dependants may start). */
export class HealthCheck {
  /** Runs a command in the container without a shell, e.g. `['pg_isready', '-q']`. */
  public static command(argv: string[], options: HealthCheckOptions = {}): HealthCheck {
    return new HealthCheck(['CMD', ...(Array.isArray(argv) ? argv : [])], options, argv);
  }

  /** Runs a shell command line in the container (`CMD-SHELL`); the image needs a shell. */
  public static shell(commandLine: string, options: HealthCheckOptions = {}): HealthCheck {
    return new HealthCheck(['CMD-SHELL', commandLine], options, [commandLine]);
  }

  private constructor(
    private readonly test: string[],
    private options: HealthCheckOptions,
    private readonly argv: unknown,
  ) {
    this.options = options ?? {};
  }

  /** Problems with this health check, naming the prop. */
  public validate(prop = 'healthCheck'): string[] {
    const argvOk = Array.isArray(this.argv) && this.argv.length > 0 && this.argv.every((a) => typeof a === 'string' && a.length > 0);
    const o = this.options ?? {};
    return collect(
      argvOk ? undefined : `prop '${prop}' needs a non-empty command of non-empty strings (got ${describeValue(this.argv)})`,
      o.intervalSeconds === undefined ? undefined : checkInteger(`${prop}.intervalSeconds`, o.intervalSeconds, 1, 3600),
      o.timeoutSeconds === undefined ? undefined : checkInteger(`${prop}.timeoutSeconds`, o.timeoutSeconds, 1, 600),
      o.retries === undefined ? undefined : checkInteger(`${prop}.retries`, o.retries, 1, 100),
      o.startPeriodSeconds === undefined ? undefined : checkInteger(`${prop}.startPeriodSeconds`, o.startPeriodSeconds, 0, 3600),
    );
  }

  /** The compose `healthcheck` entry. */
  public render(): Healthcheck {
    const o = this.options;
    return {
      test: this.test,
      interval: `${o.intervalSeconds ?? 30}s`,
      timeout: `${o.timeoutSeconds ?? 5}s`,
      retries: o.retries ?? 3,
      start_period: `${o.startPeriodSeconds ?? 10}s`,
    };
  }
}
