import * as path from 'path';
import { Construct, IConstruct } from 'constructs';
import { App } from '../core/app';
import { Names } from '../core/names';
import { Vps } from '../core/vps';
import { ComposeSecret } from '../compose/compose-secret';

/**
 * Where a workload's secret file comes from. The workload only ever sees a file under
 * `/run/secrets/<name>` and a `*_FILE` variable pointing at it; swapping the source (bootstrap
 * folder today, Vault Agent later) is a local change.
 */
export interface ISecretSource {
  /** Name of the secret: the file name under `/run/secrets/`. */
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
    const holder = (vps.node.tryFindChild('Secrets') as Construct | undefined) ?? new Construct(vps, 'Secrets');
    if (holder.node.tryFindChild(this.secretName)) return;
    const name = this.secretName;
    new ComposeSecret(holder, name, {
      spec: () => ({ file: bootstrapFilePath(vps, Names.toComposeName(name)) }),
    });
  }
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
