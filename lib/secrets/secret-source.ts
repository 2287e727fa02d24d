import { Vps } from '../core/vps';
import { reservedChild } from '../core/vps-state';
import type { TlsIdentity } from '../pki/tls-identity';
import type { ISecretConsumer, ISecretSource } from '../workload/secret-source';
import { Credential } from './credential';
import { SecretDeliveries } from './secret-delivery';
import type { IBootstrapSecret, SecretRenderContext } from './secret-render-context';

/**
 * Factories of secret sources. Each is delivered by the `bootstrap` task as a file owned by the
 * consuming container's user (mode 0400) and mounted as a compose `file:` secret; the Vault issue
 * swaps these for Vault-Agent-rendered files behind the same `ISecretSource` interface.
 */
export class SecretSource {
  /**
   * A random credential named `name` on this host, generated once by the bootstrap into
   * `<secretsDir>/<vps>/credentials/<name>` and delivered as-is to every workload that mounts it.
   */
  public static bootstrapFile(name: string): ISecretSource {
    return new NamedCredentialSecret(name);
  }

  /** The value of `credential`, as file `fileName` (default: the credential's name). */
  public static credential(credential: Credential, fileName?: string): ISecretSource {
    const secretName = fileName ?? credential.credentialName;
    return new BootstrapSecret(secretName, (ctx) => ctx.credential(credential), `credential:${credential.node.path}:${secretName}`);
  }

  /**
   * A file computed at bootstrap from credentials and PKI files (a SCRAM verifier, an ACL file,
   * an AWS credentials file). `render` runs in the bootstrap only; synth never calls it.
   */
  public static derived(fileName: string, render: (ctx: SecretRenderContext) => string | Buffer): ISecretSource {
    return new BootstrapSecret(fileName, render);
  }

  /** The certificate of a TLS identity (not secret, but delivered with its key). */
  public static tlsCertificate(identity: TlsIdentity, fileName: string): ISecretSource {
    return new BootstrapSecret(fileName, (ctx) => ctx.pkiFile(identity.certFile), `tls-cert:${identity.node.path}:${fileName}`);
  }

  /** The private key of a TLS identity. */
  public static tlsPrivateKey(identity: TlsIdentity, fileName: string): ISecretSource {
    return new BootstrapSecret(fileName, (ctx) => ctx.pkiFile(identity.keyFile), `tls-key:${identity.node.path}:${fileName}`);
  }

  /**
   * A file another tool writes into the consumer's delivery folder (`writtenBy` says which, e.g.
   * `vault/deliver-approle.sh`); the bootstrap neither writes nor removes it.
   */
  public static writtenBy(fileName: string, writtenBy: string): ISecretSource {
    return new ExternalSecret(fileName, writtenBy);
  }

  /** The host's CA bundle (intermediate then root), to verify peers. */
  public static caBundle(vps: Vps, fileName = 'ca.crt'): ISecretSource {
    return new BootstrapSecret(fileName, (ctx) => ctx.pkiFile(`${vps.name}/pki/ca-bundle.crt`), `ca-bundle:${vps.name}:${fileName}`);
  }

  private constructor() {}
}

/** A delivered file whose content a function computes at bootstrap. */
class BootstrapSecret implements ISecretSource, IBootstrapSecret {
  constructor(
    public readonly secretName: string,
    private readonly renderer: (ctx: SecretRenderContext) => string | Buffer,
    /** Two sources with the same key are the same file (so asking twice is not a conflict). */
    public readonly identityKey?: string,
  ) {}

  public bind(consumer: ISecretConsumer): string {
    return SecretDeliveries.of(Vps.of(consumer)).deliver(consumer, this);
  }

  public render(ctx: SecretRenderContext): string | Buffer {
    return this.renderer(ctx);
  }
}

/** A delivered file that another tool writes. */
class ExternalSecret implements ISecretSource, IBootstrapSecret {
  constructor(
    public readonly secretName: string,
    public readonly writtenBy: string,
  ) {}

  public get identityKey(): string {
    return `external:${this.writtenBy}:${this.secretName}`;
  }

  public bind(consumer: ISecretConsumer): string {
    return SecretDeliveries.of(Vps.of(consumer)).deliver(consumer, this);
  }
}

const CREDENTIALS_ID = 'Credentials';
const CREDENTIAL_HOLDER = Symbol.for('mlsec-cdk.CredentialHolder');

/** `bootstrapFile(name)`: a host-wide credential found (or created) by name on first bind. */
class NamedCredentialSecret implements ISecretSource {
  constructor(public readonly secretName: string) {}

  public bind(consumer: ISecretConsumer): string {
    const vps = Vps.of(consumer);
    const holder = reservedChild(vps, CREDENTIALS_ID, CREDENTIAL_HOLDER, 'credentials');
    const credential = (holder.node.tryFindChild(this.secretName) as Credential | undefined)
      ?? new Credential(holder, this.secretName, { name: this.secretName, description: `bootstrap secret '${this.secretName}'` });
    return SecretSource.credential(credential).bind(consumer);
  }
}
