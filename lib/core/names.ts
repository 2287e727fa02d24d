import { IConstruct } from 'constructs';
import { MlsecError } from './errors';
import { describeValue } from './prop-rules';

/**
 * The one naming function: construct ids become compose names (services, networks, volumes,
 * projects) here and nowhere else. Names are DNS labels because compose service names become
 * host names on the project's networks.
 */
export class Names {
  /** What an id may look like, in words, for error messages. */
  public static readonly ALLOWED =
    'letters, digits, "-", "_" or "." that start and end with a letter or digit and are not only digits';

  /** Normalizes a valid id into a compose name: lower case, `_` and `.` become `-`. */
  public static toComposeName(id: string): string {
    return typeof id === 'string' ? id.toLowerCase().replace(/[_.]/g, '-') : '';
  }

  /** Why an id cannot become a name, or undefined when it can. */
  public static checkId(id: unknown, prop = 'id', maxLength = 63): string | undefined {
    if (typeof id !== 'string' || !ID_PATTERN.test(id) || /^[0-9]+$/.test(id) || id.length > maxLength) {
      return `${prop} ${describeValue(id)} is not allowed: use ${Names.ALLOWED}, at most ${maxLength} characters`;
    }
    return undefined;
  }

  /** The compose name of a construct: its own id, normalized. */
  public static of(construct: IConstruct): string {
    return Names.toComposeName(construct.node.id);
  }
}

const ID_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?$/;

/**
 * Assigns names within one namespace (e.g. the services of one compose project) and reports
 * every pair of constructs whose names collide after normalization.
 */
export class NameRegistry {
  private readonly owners = new Map<string, string>();
  private readonly problems: { path: string; message: string }[] = [];

  constructor(private readonly kind: string) {}

  /** Claims `name` for the construct at `path`. */
  public claim(name: string, path: string): void {
    const owner = this.owners.get(name);
    if (owner !== undefined && owner !== path) {
      this.problems.push({
        path,
        message: `${this.kind} name '${name}' collides after normalization with the one of construct '${owner}'; rename one of '${owner}' and '${path}'`,
      });
      return;
    }
    this.owners.set(name, path);
  }

  /** Collisions found so far. */
  public get issues(): readonly { path: string; message: string }[] {
    return this.problems;
  }
}

/**
 * Checks an id before it reaches the constructs library, whose own errors for an empty or
 * duplicate id name neither the path nor what is allowed. Use as `super(scope, checkedId(scope, id))`.
 */
export function checkedId(scope: IConstruct, id: string): string {
  const parent = scope?.node?.path || '<app>';
  // The constructs library silently rewrites '/' and newlines to '--', hiding the id given.
  if (typeof id !== 'string' || id.length === 0 || /[\/\n]/.test(id)) {
    throw new MlsecError(`[${parent}/${describeValue(id)}] id ${describeValue(id)} is not allowed: use ${Names.ALLOWED}, at most 63 characters`);
  }
  // The constructs library keeps children in a plain object: a name every object already has
  // ('constructor', 'toString', '__proto__' …) would look taken, or corrupt it.
  if (id in Object.prototype) {
    throw new MlsecError(`[${parent}/${describeValue(id).slice(1, -1)}] id ${describeValue(id)} is not allowed: it is a name every JavaScript object already has; use ${Names.ALLOWED}, at most 63 characters`);
  }
  if (scope?.node?.tryFindChild(id)) {
    throw new MlsecError(`[${parent}/${id}] id '${id}' is already used by a sibling under '${parent}'; ids must be unique within their scope`);
  }
  return id;
}
