import { Construct } from 'constructs';
import { checkedId } from '../core/names';
import { checkPattern, collect, describeValue } from '../core/prop-rules';
import { Vps } from '../core/vps';
import { IngestionContract } from '../services/ingestion/ingestion-contract';
import { IngestionEndpoint } from '../services/ingestion/ingestion-endpoint';
import type { MinioBucket } from '../services/minio/minio-bucket';
import type { VaultServer } from '../vault/vault-server';

/** How sensitive a source's data is. */
export type DataClassification = 'public' | 'internal' | 'confidential' | 'restricted';

const CLASSIFICATIONS: readonly DataClassification[] = ['public', 'internal', 'confidential', 'restricted'];

/** Props of a {@link DataSource}. */
export interface DataSourceProps {
  /** The source's name: lower-case letters, digits and "-"; its ingestion path is `/ingest/<name>`. */
  readonly name: string;
  /** Who is accountable for the data (a team address). */
  readonly owner: string;
  /** How sensitive the data is. */
  readonly classification: DataClassification;
  /** Why the bank collects it (the purpose, and its legal basis). */
  readonly purpose: string;
  /** The identity allowed to send it: the CN of the partner's client certificate (or its client id). */
  readonly identity: string;
  /** The records' data contract. */
  readonly contract: IngestionContract;
  /**
   * How long raw records are kept, in days.
   * @default 365
   */
  readonly retentionDays?: number;
}

/** Options of {@link DataSource.addIngestion}. */
export interface DataSourceIngestionOptions {
  /** Where accepted records are written (the staging bucket). */
  readonly staging: MinioBucket;
  /** Where rejected records are written. */
  readonly quarantine: MinioBucket;
  /**
   * Vault, for the connector's certificate and keys.
   * @default none (bootstrap PKI and delivered files)
   */
  readonly vault?: VaultServer;
}

const SOURCE_NAME = /^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
const OWNER = /^[A-Za-z0-9._%+-]{1,64}@[a-z0-9.-]{1,190}\.[a-z]{2,24}$/;
const IDENTITY = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/**
 * One Z0 data source (CONTROLS.md Z0): declarative, no container. It says who owns the data, how
 * sensitive it is, why it is collected, who may send it and what a record must look like; its
 * one way into the platform is the ingestion connector `addIngestion` creates (Z1).
 */
export class DataSource extends Construct {
  /** The source's name. */
  public readonly sourceName: string;
  /** Its props. */
  public readonly props: DataSourceProps;
  /** Its ingestion connector, once added. */
  public ingestion?: IngestionEndpoint;

  constructor(scope: Construct, id: string, props: DataSourceProps) {
    super(scope, checkedId(scope, id));
    this.props = props ?? ({} as DataSourceProps);
    this.sourceName = this.props.name;
    this.node.addValidation({ validate: () => this.problems() });
  }

  /**
   * Creates its Z1 ingestion connector (`ingest-<name>`), writing to staging and quarantine only,
   * for its `identity` alone (the CN of the sender's client certificate).
   */
  public addIngestion(options: DataSourceIngestionOptions): IngestionEndpoint {
    if (this.ingestion) return this.ingestion;
    this.ingestion = new IngestionEndpoint(Vps.of(this), `ingest-${this.sourceName}`, {
      source: this.sourceName, contract: this.props.contract, staging: options?.staging, quarantine: options?.quarantine, vault: options?.vault,
      // The source's sender, by its client certificate's CN: nobody else may send it (Z1-K06).
      senders: [this.props.identity],
    });
    return this.ingestion;
  }

  private problems(): string[] {
    const p = this.props;
    return collect(
      checkPattern('name', p.name, SOURCE_NAME, 'lower-case letters, digits and "-", starting with a letter (at most 32)'),
      checkPattern('owner', p.owner, OWNER, 'the accountable team\'s address, e.g. "payments-data@bank.example"'),
      CLASSIFICATIONS.includes(p.classification) ? undefined : `prop 'classification' must be one of ${CLASSIFICATIONS.join(', ')} (got ${describeValue(p.classification)})`,
      typeof p.purpose === 'string' && p.purpose.trim().length >= 10 ? undefined : `prop 'purpose' must say in a sentence (10 characters or more) why the data is collected (got ${describeValue(p.purpose)})`,
      checkPattern('identity', p.identity, IDENTITY, 'the certificate CN or client id of the sender'),
      p.retentionDays === undefined || (Number.isInteger(p.retentionDays) && p.retentionDays >= 1 && p.retentionDays <= 3650) ? undefined : `prop 'retentionDays' must be an integer from 1 to 3650 (got ${describeValue(p.retentionDays)})`,
    );
  }
}
