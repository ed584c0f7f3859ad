import type { ColumnType, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

export interface ApiClientTable {
  id: string;
  name: string;
  /** The domain `Principal` the client acts as; written as JSON text, read back parsed. */
  principal: ColumnType<unknown, string, string>;
  /** sha256 (hex) of the API key; the key itself is shown once and never stored. */
  api_key_hash: string;
  client_id: string;
  /** sha256 (hex) of the OAuth client secret. */
  client_secret_hash: string;
  created_at: Timestamp;
  revoked_at: Timestamp | null;
}

export interface IdempotencyKeyTable {
  scope: string;
  key: string;
  request_hash: string;
  status_code: number | null;
  response: unknown;
  created_at: ColumnType<Date, never, never>;
}

export interface GatewayDatabase {
  api_client: ApiClientTable;
  idempotency_key: IdempotencyKeyTable;
}

export type ApiClientRow = Selectable<ApiClientTable>;
