import * as path from 'path';
import { App } from '../core/app';
import { MlsecError } from '../core/errors';
import { Vps } from '../core/vps';
import { reservedChild, vpsState } from '../core/vps-state';
import { ComposeSecret } from '../compose/compose-secret';
import type { ISecretConsumer } from '../workload/secret-source';
import type { IBootstrapSecret } from './secret-render-context';

/** One file the bootstrap writes for one consumer. */
export interface SecretDelivery {
  /** Construct path of the consumer, for messages. */
  readonly consumerPath: string;
  /** Compose service of the consumer. */
  readonly serviceName: string;
  /** `uid:gid` that owns the delivered file. */
  readonly owner: string;
  /** The source that computes the content. */
  readonly source: IBootstrapSecret;
  /** The compose secret name (`<service>.<file>`). */
  readonly composeName: string;
  /** Path relative to the secrets folder: `<vps>/deliver/<service>/<file>`. */
  readonly file: string;
}

const SECRETS_ID = 'Secrets';
const SECRET_HOLDER = Symbol.for('mlsec-cdk.SecretHolder');
const DELIVERIES = Symbol.for('mlsec-cdk.SecretDeliveries');

/**
 * The secret files of one host that the `bootstrap` task writes, one folder per consumer service
 * so each file can be owned by the user its container runs as (compose bind-mounts a `file:`
 * secret with the host file's owner and mode; outside swarm, `uid`/`mode` are ignored).
 */
export class SecretDeliveries {
  /** The deliveries of `vps` (created on first use). */
  public static of(vps: Vps): SecretDeliveries {
    return vpsState(vps, DELIVERIES, () => new SecretDeliveries(vps));
  }

  private readonly byName = new Map<string, SecretDelivery>();

  private constructor(private readonly vps: Vps) {}

  /** Every delivery, sorted by compose name. */
  public get all(): SecretDelivery[] {
    return [...this.byName.values()].sort((a, b) => (a.composeName < b.composeName ? -1 : 1));
  }

  /** Registers `source` for `consumer` (once) and returns the compose secret name. */
  public deliver(consumer: ISecretConsumer, source: IBootstrapSecret): string {
    const composeName = `${consumer.serviceName}.${source.secretName}`;
    const existing = this.byName.get(composeName);
    if (existing !== undefined) {
      if (existing.source !== source && !sameSource(existing.source, source)) {
        throw new MlsecError(`[${consumer.node.path}] two different secrets would both be /run/secrets/${source.secretName} of service '${consumer.serviceName}'; give one another file name`);
      }
      return composeName;
    }
    const file = path.posix.join(this.vps.name, 'deliver', consumer.serviceName, source.secretName);
    this.byName.set(composeName, { consumerPath: consumer.node.path, serviceName: consumer.serviceName, owner: consumer.runAsUser, source, composeName, file });
    const vps = this.vps;
    new ComposeSecret(reservedChild(vps, SECRETS_ID, SECRET_HOLDER, 'secrets'), composeName, { name: composeName, spec: () => ({ file: secretFilePath(vps, file) }) });
    return composeName;
  }
}

/** Sources that describe the same file (e.g. the CA bundle asked for twice). */
function sameSource(a: IBootstrapSecret, b: IBootstrapSecret): boolean {
  const ka = (a as { identityKey?: string }).identityKey;
  return ka !== undefined && ka === (b as { identityKey?: string }).identityKey;
}

/**
 * Path of a delivered secret relative to the compose file, so the output does not depend on
 * where the project is checked out.
 */
function secretFilePath(vps: Vps, file: string): string {
  const app = App.of(vps);
  const composeDir = path.posix.join(toPosix(app.outdir), vps.name);
  const secretFile = path.posix.join(toPosix(app.secretsDir), file);
  const bothRelative = !path.isAbsolute(app.outdir) && !path.isAbsolute(app.secretsDir);
  return bothRelative ? path.posix.relative(composeDir, secretFile) : path.resolve(app.secretsDir, file);
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}
