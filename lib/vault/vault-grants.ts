import { Construct } from 'constructs';
import { checkedId, Names } from '../core/names';
import { describeValue } from '../core/prop-rules';
import type { Credential } from '../secrets/credential';
import type { Workload } from '../workload/workload';
import type { VaultAgent } from './agent/vault-agent';
import type { VaultCapability } from './vault-policy-rules';

/** Where grants land: the server keeps one policy and one agent per workload. */
export interface IVaultGrantTarget {
  /** Adds `capabilities` on `path` to `workload`'s own policy (created on first grant, with its agent). */
  grantPath(workload: Workload, path: string, capabilities: VaultCapability[], why: string): void;
  /** The workload's agent (after a grant). */
  agentOf(workload: Workload): VaultAgent | undefined;
  /** Lets the workload call Vault itself with its agent's token. */
  grantApiAccess(workload: Workload): void;
}

/** Options of `VaultKvSecret.grantRead`. */
export interface KvReadOptions {
  /**
   * Fields the agent renders into files for the workload, each announced by a `*_FILE` variable:
   * `{ password: 'DB_PASSWORD_FILE' }`.
   * @default none (the policy grant only)
   */
  readonly fields?: Readonly<Record<string, string>>;
  /**
   * File names (under /run/vault) of rendered fields, when a consumer expects fixed names.
   * @default `<secret id>-<field>`
   */
  readonly fileNames?: Readonly<Record<string, string>>;
  /**
   * Render an AWS shared-credentials file (`[default]` with the access key id and the secret
   * field) for S3 clients, announced by `envVar` (usually AWS_SHARED_CREDENTIALS_FILE).
   * @default none
   */
  readonly awsCredentials?: { readonly accessKeyId: string; readonly field: string; readonly envVar: string };
}

/** A KV v2 path segment: lower-case letters, digits, "-" and "_". */
export const KV_SEGMENT = /^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$/;

/** Props of a {@link VaultKvSecret}. */
export interface VaultKvSecretProps {
  /** Path below the KV mount, `{env}/{tenant}/{app}/{component}` (CONTROLS.md §4.1): four segments. */
  readonly path: string;
  /**
   * Fields the bootstrap writes from credentials of the secrets folder (`vault kv put … field=@file`),
   * so the value never passes through synth-out or argv.
   * @default none (the operator writes the value)
   */
  readonly seed?: Readonly<Record<string, Credential | Sha256Of | DerivedSeed>>;
}

/** A seed value computed from a credential at bootstrap (e.g. MinIO's `<name>:<base64>` KMS key). */
export interface DerivedSeed {
  /** The credential it is computed from. */
  readonly from: Credential;
  /** A name for its seed file, unique per host (lower-case letters, digits and "-"). */
  readonly seedName: string;
  /** The computation; runs in the bootstrap only. */
  readonly transform: (value: string) => string;
}

/** A seed value that is the SHA-256 (hex) of a credential: for a server that must check, not know, it. */
export interface Sha256Of {
  /** The credential hashed. */
  readonly sha256Of: Credential;
}

/** The file a seed is read from in the server's secrets (`seed-<credential>` or `seed-<credential>.sha256`). */
export function seedFileOf(value: Credential | Sha256Of | DerivedSeed): string {
  if ('sha256Of' in value) return `seed-${value.sha256Of.credentialName}.sha256`;
  if ('seedName' in value) return `seed-${value.seedName}`;
  return `seed-${value.credentialName}`;
}

/** A KV v2 secret: `grantRead` gives a workload `read` on exactly `kv/data/<path>`. */
export class VaultKvSecret extends Construct {
  /** Path below the mount. */
  public readonly path: string;
  /** Seeded fields. */
  public readonly seed: Readonly<Record<string, Credential | Sha256Of | DerivedSeed>>;
  private readonly problems: string[] = [];

  constructor(scope: Construct, id: string, private readonly target: IVaultGrantTarget & { readonly kvMount: string }, props: VaultKvSecretProps) {
    super(scope, checkedId(scope, id));
    this.path = props?.path;
    this.seed = props?.seed ?? {};
    this.node.addValidation({
      validate: () => {
        const segments = typeof this.path === 'string' ? this.path.split('/') : [];
        const ok = segments.length === 4 && segments.every((s) => KV_SEGMENT.test(s));
        return [
          ...this.problems,
          ...(ok ? [] : [`prop 'path' must be {env}/{tenant}/{app}/{component}: four segments of lower-case letters, digits, "-" and "_" (got ${describeValue(this.path)})`]),
          ...Object.keys(this.seed).filter((f) => !/^[a-z][a-z0-9_]{0,62}$/.test(f)).map((f) => `prop 'seed': field name ${describeValue(f)} must be lower-case letters, digits and "_"`),
        ];
      },
    });
  }

  /** The API path a reader needs. */
  public get dataPath(): string {
    return `${this.target.kvMount}/data/${this.path}`;
  }

  /**
   * Lets `workload` read this secret (and nothing else of the mount); its agent renders the
   * `fields` asked for into `/run/vault/<secret>-<field>` (0400) and the workload gets `*_FILE`.
   */
  public grantRead(workload: Workload, options: KvReadOptions = {}): void {
    this.target.grantPath(workload, this.dataPath, ['read'], `read ${this.node.path}`);
    const agent = this.target.agentOf(workload);
    const aws = options?.awsCredentials;
    if (aws && agent) {
      const file = agent.addTemplate({ fileName: `${Names.toComposeName(this.node.id)}.aws-credentials`, template: 'aws-credentials', values: { path: this.dataPath, field: aws.field, accessKeyId: aws.accessKeyId } });
      workload.addEnvironment(aws.envVar, file);
    }
    for (const [field, envVar] of Object.entries(options?.fields ?? {})) {
      if (!/^[a-z][a-z0-9_]{0,62}$/.test(field)) {
        this.problems.push(`grantRead(${workload.node.path}): field ${describeValue(field)} must be lower-case letters, digits and "_"`);
        continue;
      }
      if (!agent) continue;
      const file = agent.addTemplate({ fileName: options?.fileNames?.[field] ?? `${Names.toComposeName(this.node.id)}-${field.replace(/_/g, '-')}`, template: 'kv-field', values: { path: this.dataPath, field } });
      if (typeof envVar !== 'string' || !/^[A-Z_][A-Z0-9_]*FILE$/.test(envVar)) {
        this.problems.push(`grantRead(${workload.node.path}): fields.${field} must name an upper-case variable ending in FILE (got ${describeValue(envVar)})`);
      } else workload.addEnvironment(envVar, file);
    }
  }
}

/** Transit key types Vault and OpenBao support. */
export type TransitKeyType = 'aes256-gcm96' | 'chacha20-poly1305' | 'ecdsa-p256' | 'ed25519';

/** Props of a {@link VaultTransitKey}. */
export interface VaultTransitKeyProps {
  /** Key name: lower-case letters, digits and "-". */
  readonly name: string;
  /**
   * Key type: an AEAD for envelope encryption, `ecdsa-p256` or `ed25519` for signatures.
   * @default 'aes256-gcm96'
   */
  readonly type?: TransitKeyType;
  /**
   * Derived keys (a context per call): convergent encryption for tokenization (`pii`).
   * @default false
   */
  readonly derived?: boolean;
}

/** A Transit key; never exportable, never deletable by the bootstrap. */
export class VaultTransitKey extends Construct {
  /** The key name. */
  public readonly keyName: string;
  /** Its type. */
  public readonly type: TransitKeyType;
  /** Whether it is derived (and convergent). */
  public readonly derived: boolean;

  constructor(scope: Construct, id: string, private readonly target: IVaultGrantTarget & { readonly transitMount: string }, props: VaultTransitKeyProps) {
    super(scope, checkedId(scope, id));
    this.keyName = props?.name;
    this.type = props?.type ?? 'aes256-gcm96';
    this.derived = props?.derived ?? false;
    this.node.addValidation({
      validate: () => [
        ...(typeof this.keyName === 'string' && /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/.test(this.keyName) ? [] : [`prop 'name' must be lower-case letters, digits and "-" (got ${describeValue(this.keyName)})`]),
        ...(['aes256-gcm96', 'chacha20-poly1305', 'ecdsa-p256', 'ed25519'].includes(this.type) ? [] : [`prop 'type' must be aes256-gcm96, chacha20-poly1305, ecdsa-p256 or ed25519 (got ${describeValue(this.type)})`]),
        ...(this.derived && !['aes256-gcm96', 'chacha20-poly1305'].includes(this.type) ? ["prop 'derived' needs an encryption key type"] : []),
      ],
    });
  }

  /** The Transit mount the key lives in. */
  public get transitMountPath(): string {
    return this.target.transitMount;
  }

  private get signing(): boolean {
    return this.type === 'ecdsa-p256' || this.type === 'ed25519';
  }

  /** `update` on `transit/encrypt/<key>`. */
  public grantEncrypt(workload: Workload): void {
    this.only(!this.signing, 'grantEncrypt', 'an encryption');
    this.target.grantPath(workload, `${this.target.transitMount}/encrypt/${this.keyName}`, ['update'], `encrypt with ${this.node.path}`);
    this.target.grantApiAccess(workload);
  }

  /** `update` on `transit/decrypt/<key>`. */
  public grantDecrypt(workload: Workload): void {
    this.only(!this.signing, 'grantDecrypt', 'an encryption');
    this.target.grantPath(workload, `${this.target.transitMount}/decrypt/${this.keyName}`, ['update'], `decrypt with ${this.node.path}`);
    this.target.grantApiAccess(workload);
  }

  /** `update` on `transit/sign/<key>`. */
  public grantSign(workload: Workload): void {
    this.only(this.signing, 'grantSign', 'a signing');
    this.target.grantPath(workload, `${this.target.transitMount}/sign/${this.keyName}`, ['update'], `sign with ${this.node.path}`);
    this.target.grantApiAccess(workload);
  }

  /** `update` on `transit/verify/<key>`. */
  public grantVerify(workload: Workload): void {
    this.only(this.signing, 'grantVerify', 'a signing');
    this.target.grantPath(workload, `${this.target.transitMount}/verify/${this.keyName}`, ['update'], `verify with ${this.node.path}`);
    this.target.grantApiAccess(workload);
  }

  private only(ok: boolean, method: string, kind: string): void {
    if (!ok) this.node.addValidation({ validate: () => [`${method}: key type '${this.type}' is not ${kind} key`] });
  }
}
