import type { ColumnType, Generated, Kysely } from 'kysely';

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
  /** The customers service's row version of the snapshot applied last (0: a snapshot without one). */
  version: Generated<number>;
}

/** A merged-away customer id and the customer it lives on as (always the final survivor of a chain). */
export interface CustomerAliasTable {
  merged_id: string;
  survivor_id: string;
  merged_at: Timestamp;
}

/** An erased customer's id: its late events must not bring it back. */
export interface ErasedCustomerTable {
  id: string;
  erased_at: Timestamp;
}

export interface CustomerExternalIdTable {
  /** `shared` or `dealer:<id>` (ADR 0008). */
  namespace: Generated<string>;
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
  /** Where (source system, external id) is unique: `shared` or `dealer:<id>` (ADR 0008). */
  namespace: string;
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
  status: 'running' | 'succeeded' | 'failed' | 'interrupted';
  principal_subject: string;
  dealer_id: string | null;
  received: Generated<number>;
  inserted: Generated<number>;
  duplicates: Generated<number>;
  pending: Generated<number>;
  rejected: Generated<number>;
  rejected_lines: Json<unknown[]>;
  error: string | null;
  /** The last line number read from the stream (see the migration of 2026-11-29). */
  last_line: Generated<number>;
  created_at: Timestamp;
  finished_at: Timestamp | null;
  /** Refreshed while the ingest runs; a stale one means its process died (then `interrupted`). */
  heartbeat_at: ColumnType<Date | null, Date | string | undefined, Date | string | null>;
}

/** The scoring schema, or a transaction on it: what every repository function takes first. */
export type ScoringDb = Kysely<ScoringDatabase>;

export interface ScoringDatabase {
  customer: CustomerTable;
  customer_external_id: CustomerExternalIdTable;
  customer_alias: CustomerAliasTable;
  erased_customer: ErasedCustomerTable;
  exchange_rate: ExchangeRateTable;
  transaction: TransactionTable;
  ingest_job: IngestJobTable;
  customer_score: CustomerScoreTable;
  clv_model: ClvModelTable;
  scoring_run: ScoringRunTable;
  tier: TierTable;
  tier_history: TierHistoryTable;
  tier_override: TierOverrideTable;
  tier_downgrade_pending: TierDowngradePendingTable;
  segment: SegmentTable;
  segment_member: SegmentMemberTable;
  rescore_queue: RescoreQueueTable;
}

/** Customers waiting for their scores, tiers and segments to catch up (runs/rescore-queue.repository.ts). */
export interface RescoreQueueTable {
  customer_id: string;
  ticket: Generated<string>;
  queued_at: Generated<Date>;
  available_at: Generated<Date>;
  attempts: Generated<number>;
  last_error: string | null;
  run_id: string | null;
}

export interface CustomerScoreTable {
  customer_id: string;
  recency: number | null;
  frequency: number | null;
  monetary: number | null;
  rfm_cell: string | null;
  revenue: Decimal;
  order_count: number;
  first_purchase_at: Timestamp | null;
  last_purchase_at: Timestamp | null;
  average_order_value: Decimal | null;
  tier: string | null;
  clv: Decimal | null;
  clv_model_version: number | null;
  expected_transactions: number | null;
  p_alive: number | null;
  expected_spend: Decimal | null;
  needs_diversity: number | null;
  quadrant: string | null;
  scored_at: Timestamp;
}

export interface ClvModelTable {
  id: string;
  version: number;
  active: boolean;
  calibration_end: string;
  time_unit: 'days' | 'weeks';
  bg_nbd: Json<{ r: number; alpha: number; a: number; b: number }>;
  gamma_gamma: Json<{ p: number; q: number; gamma: number } | null>;
  log_likelihood: number;
  sample_size: number;
  fitted_at: Timestamp;
}

export interface ScoringRunTable {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'interrupted';
  trigger: string;
  step: string | null;
  customers_scored: Generated<number>;
  error: string | null;
  created_at: Timestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  /** Refreshed while the run executes; a stale one means its process died (then `interrupted`). */
  heartbeat_at: ColumnType<Date | null, Date | string | undefined, Date | string | null>;
}

export interface TierTable {
  name: string;
  rank: number;
  rule: Json<unknown>;
  version: Generated<number>;
}

export interface TierHistoryTable {
  id: Generated<string>;
  customer_id: string;
  from_tier: string | null;
  to_tier: string;
  reason: string;
  changed_at: Timestamp;
}

export interface TierOverrideTable {
  customer_id: string;
  tier: string;
  reason: string;
  expires_at: Timestamp | null;
  created_by: string;
  created_at: Timestamp;
}

export interface TierDowngradePendingTable {
  customer_id: string;
  candidate_tier: string;
  since: Timestamp;
}

export interface SegmentTable {
  id: string;
  name: string;
  description: string | null;
  rule: Json<unknown>;
  version: Generated<number>;
  member_count: Generated<number>;
  evaluated_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SegmentMemberTable {
  segment_id: string;
  customer_id: string;
  entered_at: Timestamp;
}
