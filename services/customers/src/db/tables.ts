import type { ColumnType, Generated, Insertable, Kysely, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface CustomerTable {
  id: string;
  kind: 'person' | 'organization';
  status: 'active' | 'merged' | 'erased';
  display_name: string;
  given_name: string | null;
  family_name: string | null;
  organization_name: string | null;
  birth_date: ColumnType<string | null, string | null, string | null>;
  lifecycle_stage: string;
  roles: string[];
  dealer_id: string | null;
  emails: string[];
  phones: string[];
  addresses: Json<unknown[]>;
  attributes: Json<Record<string, unknown>>;
  field_updated_at: Json<Record<string, string>>;
  merged_into: string | null;
  version: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
  erased_at: Timestamp | null;
}

export interface DealerTable {
  id: string;
  code: string;
  name: string;
  region: string | null;
  city: string | null;
  version: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface AttributeDefinitionTable {
  name: string;
  type: 'string' | 'number' | 'boolean' | 'date' | 'enum';
  allowed_values: string[] | null;
  description: string | null;
  version: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface ExternalIdTable {
  /** `shared` or `dealer:<id>` (ADR 0008). */
  namespace: Generated<string>;
  system: string;
  external_id: string;
  customer_id: string;
  created_at: Generated<Date>;
}

export interface ContactTable {
  id: string;
  organization_id: string;
  person_id: string;
  buying_role: string;
  job_title: string | null;
  created_at: Timestamp;
}

export interface ConsentTable {
  id: Generated<string>;
  customer_id: string;
  channel: string;
  granted: boolean;
  source: string;
  recorded_at: Timestamp;
}

export interface TimelineEntryTable {
  id: Generated<string>;
  customer_id: string;
  occurred_at: Timestamp;
  type: string;
  source: string;
  data: Json<unknown>;
  /** Another person the entry describes (a contact on an organisation's timeline): scrubbed when that person is erased. */
  mentioned_customer_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface CustomersDatabase {
  customer: CustomerTable;
  dealer: DealerTable;
  attribute_definition: AttributeDefinitionTable;
  external_id: ExternalIdTable;
  contact: ContactTable;
  consent: ConsentTable;
  timeline_entry: TimelineEntryTable;
}

/** The service's database, or a transaction on it: what every repository function takes first. */
export type Db = Kysely<CustomersDatabase>;

export type CustomerRow = Selectable<CustomerTable>;
export type NewCustomerRow = Insertable<CustomerTable>;
export type DealerRow = Selectable<DealerTable>;
export type AttributeDefinitionRow = Selectable<AttributeDefinitionTable>;
export type ContactRow = Selectable<ContactTable>;
export type ConsentRow = Selectable<ConsentTable>;
export type TimelineEntryRow = Selectable<TimelineEntryTable>;
