import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T> = ColumnType<T, string, string>;
/** numeric comes back as a string (exact); written as a decimal string. */
type Decimal = ColumnType<string, string | number, string | number>;

export interface CustomerTable {
  id: string;
  kind: string;
  dealer_id: string | null;
  birth_date: string | null;
  lifecycle_stage: string;
  city: string | null;
  region: string | null;
  country: string | null;
  consents: Json<Record<string, boolean>>;
  updated_at: Timestamp;
}

export interface CustomerExternalIdTable {
  system: string;
  external_id: string;
  customer_id: string;
}

export interface ExchangeRateTable {
  currency: string;
  rate: Decimal;
  version: Generated<number>;
  updated_at: Generated<Date>;
}

export interface TransactionTable {
  id: string;
  source_system: string;
  external_id: string;
  customer_id: string | null;
  customer_ref_system: string | null;
  customer_ref_id: string | null;
  occurred_at: Timestamp;
  type: 'sale' | 'return';
  amount: Decimal;
  currency: string;
  amount_base: Decimal;
  quantity: Decimal;
  product: string | null;
  category: string | null;
  channel: string | null;
  dealer_id: string | null;
  ingested_at: Generated<Date>;
}

export interface IngestJobTable {
  id: string;
  status: 'running' | 'succeeded' | 'failed';
  principal_subject: string;
  dealer_id: string | null;
  received: Generated<number>;
  inserted: Generated<number>;
  duplicates: Generated<number>;
  pending: Generated<number>;
  rejected: Generated<number>;
  rejected_lines: Json<unknown[]>;
  error: string | null;
  created_at: Timestamp;
  finished_at: Timestamp | null;
}

export interface ScoringDatabase {
  customer: CustomerTable;
  customer_external_id: CustomerExternalIdTable;
  exchange_rate: ExchangeRateTable;
  transaction: TransactionTable;
  ingest_job: IngestJobTable;
}
