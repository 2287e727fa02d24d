import { Construct, IConstruct } from 'constructs';
import { checkedId } from '../core/names';
import { checkInteger, collect, describeValue } from '../core/prop-rules';
import { Vps } from '../core/vps';
import { vpsState } from '../core/vps-state';

/** Props of a {@link Credential}. */
export interface CredentialProps {
  /**
   * File name of the value below `<secretsDir>/<vps>/credentials/`: lower case letters, digits,
   * "-" and ".", unique per Vps.
   */
  readonly name: string;
  /** What the credential is for, written next to it for the operator. */
  readonly description: string;
  /**
   * Random bytes in the value (it is written base64url, so 32 bytes give 43 characters).
   * @default 32 (256 bits)
   */
  readonly randomBytes?: number;
}

const CREDENTIAL = Symbol.for('mlsec-cdk.Credential');
const REGISTRY = Symbol.for('mlsec-cdk.CredentialRegistry');
/** File names of credentials (and of delivered secret files). */
export const SECRET_FILE_NAME = /^(?![0-9]+$)(?!.*\.\.)[a-z0-9](?:[a-z0-9.-]{0,61}[a-z0-9])?$/;

/**
 * A random secret value (a password, a secret key) that the `bootstrap` task generates once into
 * the operator-only secrets folder and keeps. Synth never sees the value: constructs refer to a
 * credential, and `SecretSource` delivers it (or a value derived from it, such as a SCRAM
 * verifier) to the workloads that need it.
 */
export class Credential extends Construct {
  /** Whether `x` is a Credential. */
  public static isCredential(x: unknown): x is Credential {
    return x !== null && typeof x === 'object' && CREDENTIAL in x;
  }

  /** Every Credential below `scope`, in tree order. */
  public static allIn(scope: IConstruct): Credential[] {
    return scope.node.findAll().filter(Credential.isCredential);
  }

  /** File name below `<secretsDir>/<vps>/credentials/`. */
  public readonly credentialName: string;
  /** What it is for. */
  public readonly description: string;
  /** Random bytes in the value. */
  public readonly randomBytes: number;
  /** The host it belongs to. */
  public readonly vps: Vps;

  constructor(scope: Construct, id: string, props: CredentialProps) {
    super(scope, checkedId(scope, id));
    Object.defineProperty(this, CREDENTIAL, { value: true });
    const p = props ?? ({} as CredentialProps);
    this.credentialName = p.name;
    this.description = p.description;
    this.randomBytes = p.randomBytes ?? 32;
    this.vps = Vps.of(this);
    const registry = registryOf(this.vps);
    if (typeof p.name === 'string' && !registry.has(p.name)) registry.set(p.name, this);
    this.node.addValidation({
      validate: () => {
        const problems = collect(
          typeof p.name === 'string' && SECRET_FILE_NAME.test(p.name)
            ? undefined
            : `prop 'name' must be a file name of lower-case letters, digits, "-" and "." (not "..", not only digits, at most 63 characters), got ${describeValue(p.name)}`,
          typeof p.description === 'string' && p.description.trim().length > 0 && !/[\r\n]/.test(p.description)
            ? undefined
            : `prop 'description' must be a one-line text saying what the credential is for (got ${describeValue(p.description)})`,
          checkInteger('randomBytes', this.randomBytes, 16, 64),
        );
        const owner = typeof p.name === 'string' ? registry.get(p.name) : undefined;
        if (owner !== undefined && owner !== this) {
          problems.push(`prop 'name' '${p.name}' is already the name of the Credential '${owner.node.path}' on this host`);
        }
        return problems;
      },
    });
  }
}

function registryOf(vps: Vps): Map<string, Credential> {
  return vpsState(vps, REGISTRY, () => new Map<string, Credential>());
}
