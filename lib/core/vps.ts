import { Construct, IConstruct } from 'constructs';
import { MlsecError } from './errors';
import { checkedId, Names } from './names';
import { checkPattern } from './prop-rules';

const VPS = Symbol.for('mlsec-cdk.Vps');

/** Props of a {@link Vps}. */
export interface VpsProps {
  /** The public DNS domain the host serves, e.g. `lab.example.com`. */
  readonly domain: string;
}

/**
 * One host: one compose project. Everything below it synthesizes into `<outdir>/<name>/`.
 * An App may hold several.
 */
export class Vps extends Construct {
  /** Whether `x` is a Vps. */
  public static isVps(x: unknown): x is Vps {
    return x !== null && typeof x === 'object' && VPS in x;
  }

  /** The Vps that `scope` belongs to. */
  public static of(scope: IConstruct): Vps {
    for (let c: IConstruct | undefined = scope; c; c = c.node.scope) {
      if (Vps.isVps(c)) return c;
    }
    throw new MlsecError(`[${scope.node.path || '<app>'}] is not inside a Vps; create it under \`new Vps(app, 'name', { domain })\``);
  }

  /** The compose project name and output folder. */
  public readonly name: string;
  /** The public DNS domain. */
  public readonly domain: string;

  constructor(scope: Construct, id: string, props: VpsProps) {
    super(scope, checkedId(scope, id));
    Object.defineProperty(this, VPS, { value: true });
    this.name = Names.of(this);
    this.domain = props?.domain;
    this.node.addValidation({
      validate: () => {
        const problems: string[] = [];
        const idProblem = Names.checkId(id);
        if (idProblem) problems.push(idProblem);
        const domainProblem = checkPattern('domain', this.domain, DNS_NAME, 'a lower-case DNS name with at least two labels, e.g. "lab.example.com"');
        if (domainProblem) problems.push(domainProblem);
        return problems;
      },
    });
  }
}

/** Lower-case DNS name, two or more labels of 1-63 characters, at most 253 in all. */
export const DNS_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
