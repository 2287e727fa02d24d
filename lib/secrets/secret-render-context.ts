import type { Credential } from './credential';

/** What a delivered secret file may be computed from, at bootstrap time only. */
export interface SecretRenderContext {
  /** The value of a credential, generated on first use and kept. */
  credential(credential: Credential): string;
  /** A file of the host's PKI, by its path relative to the secrets folder (e.g. `lab/pki/ca-bundle.crt`). */
  pkiFile(relativePath: string): Buffer;
}

/**
 * A secret source whose file the `bootstrap` task writes, per consumer, into
 * `<secretsDir>/<vps>/deliver/<service>/<secretName>`.
 */
export interface IBootstrapSecret {
  /** File name under `/run/secrets/`. */
  readonly secretName: string;
  /**
   * The file's content; called by the bootstrap, never by synth. Absent for a file another tool
   * writes into the same folder (e.g. the AppRole secret ID from Vault): the bootstrap keeps it.
   */
  render?(ctx: SecretRenderContext): string | Buffer;
  /** For a file the bootstrap does not write: the tool that writes it, for messages. */
  readonly writtenBy?: string;
}
