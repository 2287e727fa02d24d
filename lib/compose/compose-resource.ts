import { Construct } from 'constructs';
import { MlsecError } from '../core/errors';
import { checkedId, Names } from '../core/names';
import { COMPOSE_RESOURCE, isComposeResource } from './compose-brand';
import { ComposeProject } from './compose-project';
import { ObjectOverrides } from './object-overrides';

/** The top-level sections of a compose file that hold named resources. */
export type ComposeSection = 'services' | 'networks' | 'volumes' | 'secrets' | 'configs';

/** Props shared by every compose L1 resource. */
export interface ComposeResourceProps<T> {
  /**
   * Name of the entry in the compose file.
   * @default the construct id, normalized by `Names`
   */
  readonly name?: string;
  /**
   * The entry as the Compose Specification types it, or a function evaluated at synth so that
   * mutations made after construction still reach the output.
   * @default an empty entry
   */
  readonly spec?: T | (() => T);
}

/**
 * Base of the compose L1 constructs: one named entry in one section of the compose file, typed
 * from the Compose Specification, with an `addOverride` escape hatch. No opinions live here.
 */
export abstract class ComposeResource<T extends object> extends Construct {
  /** Whether `x` is a compose L1 resource. */
  public static isComposeResource(x: unknown): x is ComposeResource<object> {
    return isComposeResource(x);
  }

  /** Name of the entry in the compose file. */
  public readonly name: string;
  /** Section of the compose file this entry belongs to. */
  public abstract readonly section: ComposeSection;
  private readonly spec: T | (() => T);
  private readonly overrides = new ObjectOverrides();

  constructor(scope: Construct, id: string, props: ComposeResourceProps<T> = {}) {
    super(scope, checkedId(scope, id));
    Object.defineProperty(this, COMPOSE_RESOURCE, { value: true });
    this.name = props.name ?? Names.of(this);
    this.spec = props.spec ?? ({} as T);
    ComposeProject.of(this);
    this.node.addValidation({
      validate: () => {
        const maxLength = this.section === 'services' ? 63 : 127;
        if (props.name === undefined) {
          const problem = Names.checkId(this.node.id, 'id', maxLength);
          return problem ? [problem] : [];
        }
        const problem = Names.checkId(this.name, "prop 'name'", maxLength);
        if (problem) return [problem];
        // Secret names are file-like (`<service>.<file>`) and never host names: "." stays.
        const normalized = this.section === 'secrets' ? this.name.toLowerCase().replace(/_/g, '-') : Names.toComposeName(this.name);
        return normalized === this.name ? [] : [`prop 'name' must be in normalized form (lower case, "-" for "_" and "."): use '${normalized}'`];
      },
    });
  }

  /**
   * Sets a raw value at a dot-separated path of the rendered entry (escape a literal dot as `\.`),
   * or deletes it when `value` is undefined. The result is verified like everything else.
   */
  public addOverride(path: string, value: unknown): void {
    try {
      this.overrides.add(path, value);
    } catch (err) {
      throw new MlsecError(`[${this.node.path}] prop 'addOverride': ${(err as Error).message}`);
    }
  }

  /** Deletes the value at a dot-separated path of the rendered entry. */
  public addDeletionOverride(path: string): void {
    this.addOverride(path, undefined);
  }

  /** Renders the entry, overrides applied. */
  public render(): T {
    // A spec function returns a fresh object; a literal spec belongs to the caller, so copy it.
    const base = typeof this.spec === 'function' ? (this.spec as () => T)() : (JSON.parse(JSON.stringify(this.spec)) as T);
    return this.overrides.isEmpty ? base : this.overrides.applyTo(base);
  }
}
