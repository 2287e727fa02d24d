import { Vps } from '../core/vps';
import { Gateway } from '../gateway/gateway';
import { KeycloakServer } from '../identity/keycloak-server';
import { KeycloakRealm } from '../keycloak/keycloak-realm';
import { IOpaPolicy } from '../services/opa/opa-policy-types';
import { OpaServer } from '../services/opa/opa-server';
import { PostgresServer } from '../services/postgres/postgres-server';
import { VaultServer } from '../vault/vault-server';
import { VaultTransitKey } from '../vault/vault-grants';
import { Zone } from '../workload/zone';
import { SecurityZone } from './security-zone';

/** Props of {@link Z8SecurityServices}. */
export interface Z8SecurityServicesProps {
  /**
   * Public host name of the sign-in service (Keycloak).
   * @default auth.<the Vps domain>
   */
  readonly authHost?: string;
  /**
   * The realm's name.
   * @default the Vps name
   */
  readonly realmName?: string;
  /**
   * Data domains with their own envelope-encryption key (`envelope-<domain>`, CONTROLS.md Z2-K04).
   * @default ['raw-core', 'curated']
   */
  readonly dataDomains?: string[];
}

/**
 * Z8, the security and trust services (L3; CONTROLS.md Z8): Vault (the trust authority: PKI,
 * KV, database credentials, Transit keys per purpose) and Keycloak on its own Postgres, reached by
 * certificate. Other zones take their handles: `vault` for every grant, `realm` for clients,
 * `modelSignKey` for the release pipeline and the model servers.
 */
export class Z8SecurityServices extends SecurityZone {
  /** Vault. */
  public readonly vault: VaultServer;
  /** Keycloak's own database. */
  public readonly identityDb: PostgresServer;
  /** Keycloak. */
  public readonly keycloak: KeycloakServer;
  /** The Transit key models are signed with at release (ECDSA P-256). */
  public readonly modelSignKey: VaultTransitKey;
  /** The convergent (derived) Transit key of PII tokenization. */
  public readonly piiKey: VaultTransitKey;
  /** The Transit key that signs audit-log blocks. */
  public readonly auditLogKey: VaultTransitKey;
  private pdp?: OpaServer;

  constructor(scope: Vps, id: string, props: Z8SecurityServicesProps = {}) {
    super(scope, id, Zone.Z8_SECURITY);
    const vps = Vps.of(this);
    this.vault = new VaultServer(this, 'vault');
    // One Transit key per purpose (CONTROLS.md Z8-K05): a key never serves two uses.
    this.modelSignKey = this.vault.addTransitKey('ModelSign', { name: 'model-sign', type: 'ecdsa-p256' });
    this.piiKey = this.vault.addTransitKey('Pii', { name: 'pii', derived: true });
    this.auditLogKey = this.vault.addTransitKey('AuditLog', { name: 'audit-log' });
    for (const domain of props.dataDomains ?? ['raw-core', 'curated']) {
      this.vault.addTransitKey(`Envelope-${domain}`, { name: `envelope-${domain}` });
    }
    this.identityDb = new PostgresServer(this, 'identity-db', { zone: Zone.Z8_SECURITY, vault: this.vault });
    this.keycloak = new KeycloakServer(this, 'keycloak', {
      hostname: props.authHost ?? `auth.${vps.domain}`,
      realm: { realmName: props.realmName ?? vps.name },
      database: this.identityDb,
      vault: this.vault,
    });
    this.addControl({
      id: 'Z8-K09', title: 'OPA fails closed; decision logs redacted',
      gap: 'no decision point is added (addPolicyDecisionPoint); the scored API is the enforcement point that asks it when batch scoring has one',
    });
  }

  /** The policy decision point, once added. */
  public get policyDecisionPoint(): OpaServer | undefined {
    return this.pdp;
  }

  /**
   * Adds OPA as the zone's policy decision point, serving `policies` (each generated with
   * `OpaPolicy.…`, each failing closed); enforcement points get access with `grantQuery`.
   */
  public addPolicyDecisionPoint(...policies: IOpaPolicy[]): OpaServer {
    if (!this.pdp) {
      this.pdp = new OpaServer(this, 'opa', { vault: this.vault });
      this.cover('Z8-K09', { builtBy: 'OpaServer (default allow := false in every package, mTLS, system authz, masked decision logs)' });
    }
    for (const policy of policies) this.pdp.addPolicy(policy);
    return this.pdp;
  }

  /** The realm (clients, roles, scopes). */
  public get realm(): KeycloakRealm {
    return this.keycloak.realm;
  }

  /** Routes sign-in and the admin console through the gateway, for `allowFrom` only. */
  public exposeSignIn(gateway: Gateway, options: { readonly allowFrom: string[] }): void {
    this.keycloak.exposeVia(gateway, options);
  }
}
