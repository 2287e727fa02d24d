import { canonicalJson } from '../core/canonical-json';
import { checkPattern, collect, describeValue } from '../core/prop-rules';
import { Vps } from '../core/vps';
import { VpsFile } from '../core/vps-file';
import { KeycloakClient } from '../keycloak/keycloak-client';
import type { KeycloakServer } from '../identity/keycloak-server';
import { Zone } from '../workload/zone';
import { SecurityZone } from './security-zone';

/** Props of {@link Z7Consumers}. */
export interface Z7ConsumersProps {
  /** The Keycloak whose realm the consumer clients join (their secrets are Vault-held). */
  readonly keycloak: KeycloakServer;
  /**
   * The audience of the serving APIs (the resource server tokens are issued for).
   * @default 'inference-gw'
   */
  readonly audience?: string;
}

/** Options of {@link Z7Consumers.addConsumer}. */
export interface ConsumerOptions {
  /** OAuth client id of the business app (lower-case letters, digits, `-`, `_`, `.`). */
  readonly clientId: string;
  /** The declared purpose it sends as `X-Purpose` (e.g. `credit_decisioning`). */
  readonly purpose: string;
  /** API scopes it may request, e.g. `predict:online`, `scored:last:read`. */
  readonly scopes: string[];
  /**
   * Tenant it acts for.
   * @default 'default'
   */
  readonly tenant?: string;
}

const PURPOSE = /^[a-z][a-z0-9_]{2,63}$/;

/**
 * Z7, consumers and business apps (L3; CONTROLS.md Z7): consumers are identities and contracts,
 * not containers — each business app gets a service-account client (client credentials, exact
 * API scopes, the serving audience only; its secret generated into Vault) and a catalog entry with its tenant and purpose
 * (`consumers/catalog.json`). They hold no storage credentials (ZONE-10): data reaches them
 * only through the Z6 APIs.
 */
export class Z7Consumers extends SecurityZone {
  /** The catalog file. */
  public readonly catalog: VpsFile;
  private readonly entries: { client: KeycloakClient; options: ConsumerOptions }[] = [];
  private readonly scopes = new Set<string>();
  private readonly consumerProps: Z7ConsumersProps;

  constructor(scope: Vps, id: string, props: Z7ConsumersProps) {
    super(scope, id, Zone.Z7_CONSUMERS);
    this.consumerProps = props ?? ({} as Z7ConsumersProps);
    this.catalog = new VpsFile(this, 'Catalog', { path: 'consumers/catalog.json', content: () => canonicalJson({ consumers: this.render() }) });
    this.addControl({ id: 'Z7-K02', title: 'every consumer client has scopes, a tenant and a declared purpose', builtBy: 'Z7Consumers.addConsumer (service-account client, consumers/catalog.json)' });
    this.node.addValidation({ validate: () => this.problems() });
  }

  /** Registers a business app: its client (client credentials) and its catalog entry. */
  public addConsumer(id: string, options: ConsumerOptions): KeycloakClient {
    const audience = this.consumerProps.audience ?? 'inference-gw';
    for (const scope of options?.scopes ?? []) {
      if (this.scopes.has(scope) || typeof scope !== 'string') continue;
      this.scopes.add(scope);
      this.consumerProps.keycloak.realm.addClientScope(scope, { audience, description: `Consumer API scope ${scope}` });
    }
    const { client } = this.consumerProps.keycloak.addServiceAccountClient(id, {
      clientId: options?.clientId,
      audiences: [audience],
      scopes: options?.scopes,
      description: `Z7 consumer (${options?.tenant ?? 'default'}): ${options?.purpose}`,
    });
    this.entries.push({ client, options });
    return client;
  }

  private render(): object[] {
    return this.entries.map(({ options: o }) => ({ clientId: o.clientId, tenant: o.tenant ?? 'default', purpose: o.purpose, scopes: [...o.scopes].sort() }));
  }

  private problems(): string[] {
    return this.entries.flatMap(({ options: o }, i) => collect(
      checkPattern(`addConsumer #${i + 1}.purpose`, o?.purpose, PURPOSE, 'a snake_case purpose such as credit_decisioning'),
      Array.isArray(o?.scopes) && o.scopes.length > 0 ? undefined : `addConsumer #${i + 1}: prop 'scopes' must list at least one API scope, got ${describeValue(o?.scopes)}`,
    ));
  }
}
