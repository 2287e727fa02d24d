import * as path from 'path';
import { Construct, IConstruct } from 'constructs';
import { App } from '../core/app';
import { MlsecError } from '../core/errors';
import { Vps } from '../core/vps';
import { ComposeSecret } from '../compose/compose-secret';

/**
 * Where a workload's secret file comes from. The workload only ever sees a file under
 * `/run/secrets/<name>` and a `*_FILE` variable pointing at it; swapping the source (bootstrap
 * folder today, Vault Agent later) is a local change.
 */
export interface ISecretSource {
  /** Name of the secret: the file name under `/run/secrets/`, lower case letters, digits and `-`. */
  readonly secretName: string;
  /** Makes the secret available in the compose project of `scope`'s Vps. */
  bind(scope: IConstruct): void;
}

/** Factories of secret sources. */
export class SecretSource {
  /**
   * A file the operator's bootstrap step writes into `<secretsDir>/<vps>/<name>` (mode 0600,
   * outside synth-out). Synth only references the path; it never reads or writes the value.
   */
  public static bootstrapFile(name: string): ISecretSource {
    return new BootstrapFileSecret(name);
  }
}

class BootstrapFileSecret implements ISecretSource {
  constructor(public readonly secretName: string) {}

  public bind(scope: IConstruct): void {
    const vps = Vps.of(scope);
    const holder = secretHolder(vps);
    if (holder.node.tryFindChild(this.secretName)) return;
    const name = this.secretName;
    new ComposeSecret(holder, name, { name, spec: () => ({ file: bootstrapFilePath(vps, name) }) });
  }
}

const SECRETS_ID = 'Secrets';
const SECRET_HOLDER = Symbol.for('mlsec-cdk.SecretHolder');

/** The construct below a Vps that holds its secret declarations (created on first use). */
function secretHolder(vps: Vps): Construct {
  const existing = vps.node.tryFindChild(SECRETS_ID);
  if (existing === undefined) {
    const holder = new Construct(vps, SECRETS_ID);
    Object.defineProperty(holder, SECRET_HOLDER, { value: true });
    return holder;
  }
  if (SECRET_HOLDER in existing) return existing as Construct;
  throw new MlsecError(`[${existing.node.path}] id '${SECRETS_ID}' is reserved directly under a Vps for its secrets; choose another id`);
}

/**
 * Path of a bootstrap secret relative to the compose file, so the output does not depend on
 * where the project is checked out.
 */
function bootstrapFilePath(vps: Vps, name: string): string {
  const app = App.of(vps);
  const composeDir = path.posix.join(toPosix(app.outdir), vps.name);
  const secretFile = path.posix.join(toPosix(app.secretsDir), vps.name, name);
  const bothRelative = !path.isAbsolute(app.outdir) && !path.isAbsolute(app.secretsDir);
  return bothRelative ? path.posix.relative(composeDir, secretFile) : path.resolve(app.secretsDir, vps.name, name);
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}
