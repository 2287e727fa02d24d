import { IConstruct } from 'constructs';

/** The workload side of a secret delivery: who reads the file, as which user. */
export interface ISecretConsumer extends IConstruct {
  /** The compose service name (secret files are delivered per service). */
  readonly serviceName: string;
  /** The numeric `uid:gid` the container runs as: the delivered file is owned by it. */
  readonly runAsUser: string;
}

/**
 * Where a workload's secret file comes from. The workload only ever sees a file under
 * `/run/secrets/<secretName>` (and, if asked, a `*_FILE` variable pointing at it); swapping the
 * source (bootstrap folder today, Vault Agent later) is a local change.
 */
export interface ISecretSource {
  /** File name under `/run/secrets/`: lower case letters, digits, "-" and ".". */
  readonly secretName: string;
  /**
   * Makes the file available to `consumer` in the compose project of its Vps, and returns the
   * name of the compose secret to reference.
   */
  bind(consumer: ISecretConsumer): string;
}
