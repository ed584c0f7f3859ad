import { SHARED_NAMESPACE, type Address, type ExternalId } from '@crm/domain';
import { sql, type Kysely } from 'kysely';
import { toView, type CustomerState, type CustomerView } from '../domain/customer.model';
import type { CustomerRow, CustomersDatabase } from './tables';

export type Db = Kysely<CustomersDatabase>;

/** A table of the customers schema, qualified, for raw SQL (withSchema does not reach into it). */
export const table = (name: keyof CustomersDatabase) => sql.table(`customers.${name}`);
const toIso = (value: Date | string): string => (value instanceof Date ? value : new Date(value)).toISOString();
const json = (value: unknown) => sql`${JSON.stringify(value)}::jsonb`;

export function stateOf(row: CustomerRow): CustomerState {
  return {
    kind: row.kind,
    displayName: row.display_name,
    givenName: row.given_name,
    familyName: row.family_name,
    organizationName: row.organization_name,
    birthDate: row.birth_date,
    lifecycleStage: row.lifecycle_stage as CustomerState['lifecycleStage'],
    roles: row.roles as CustomerState['roles'],
    dealerId: row.dealer_id,
    emails: row.emails,
    phones: row.phones,
    addresses: row.addresses as Address[],
    attributes: row.attributes as CustomerState['attributes'],
  };
}

/** A row to write: the state plus bookkeeping, in the column names jsonb_to_recordset expects. */
export interface CustomerWrite {
  id: string;
  state: CustomerState;
  fieldUpdatedAt: Record<string, string>;
  at: string;
}

const recordOf = ({ id, state, fieldUpdatedAt, at }: CustomerWrite) => ({
  id,
  kind: state.kind,
  display_name: state.displayName,
  given_name: state.givenName,
  family_name: state.familyName,
  organization_name: state.organizationName,
  birth_date: state.birthDate,
  lifecycle_stage: state.lifecycleStage,
  roles: state.roles,
  dealer_id: state.dealerId,
  emails: state.emails,
  phones: state.phones,
  addresses: state.addresses,
  attributes: state.attributes,
  field_updated_at: fieldUpdatedAt,
  at,
});

const RECORD_COLUMNS = sql.raw(`r(id uuid, kind text, display_name text, given_name text, family_name text,
  organization_name text, birth_date date, lifecycle_stage text, roles text[], dealer_id uuid, emails text[],
  phones text[], addresses jsonb, attributes jsonb, field_updated_at jsonb, at timestamptz)`);

/** One statement for any number of new customers. */
export async function insertCustomers(trx: Db, writes: CustomerWrite[]): Promise<void> {
  if (writes.length === 0) return;
  await sql`
    insert into ${table('customer')} (id, kind, display_name, given_name, family_name, organization_name, birth_date,
      lifecycle_stage, roles, dealer_id, emails, phones, addresses, attributes, field_updated_at, created_at, updated_at)
    select id, kind, display_name, given_name, family_name, organization_name, birth_date, lifecycle_stage, roles,
      dealer_id, emails, phones, addresses, attributes, field_updated_at, at, at
    from jsonb_to_recordset(${json(writes.map(recordOf))}) as ${RECORD_COLUMNS}`.execute(trx);
}

/** One statement for any number of changed customers; bumps each version. */
export async function updateCustomers(trx: Db, writes: CustomerWrite[]): Promise<void> {
  if (writes.length === 0) return;
  await sql`
    update ${table('customer')} c set kind = r.kind, display_name = r.display_name, given_name = r.given_name,
      family_name = r.family_name, organization_name = r.organization_name, birth_date = r.birth_date,
      lifecycle_stage = r.lifecycle_stage, roles = r.roles, dealer_id = r.dealer_id, emails = r.emails,
      phones = r.phones, addresses = r.addresses, attributes = r.attributes, field_updated_at = r.field_updated_at,
      updated_at = r.at, version = c.version + 1
    from jsonb_to_recordset(${json(writes.map(recordOf))}) as ${RECORD_COLUMNS}
    where c.id = r.id`.execute(trx);
}

/** Locks and returns the customers with these ids (merged and erased ones included). */
export async function lockCustomers(trx: Db, ids: string[]): Promise<CustomerRow[]> {
  if (ids.length === 0) return [];
  return trx.selectFrom('customer').selectAll().where('id', 'in', ids).orderBy('id').forUpdate().execute();
}

/** Which customer owns each of these external ids in each of these namespaces, by `namespacedKey`. */
export async function externalIdOwners(trx: Db, ids: ExternalId[], namespaces: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const { rows } = await sql<{ namespace: string; system: string; external_id: string; customer_id: string }>`
    select e.namespace, e.system, e.external_id, e.customer_id from ${table('external_id')} e
    join unnest(${ids.map((i) => i.system)}::text[], ${ids.map((i) => i.id)}::text[]) as k(system, external_id)
      using (system, external_id)
    where e.namespace = any(${namespaces}::text[])`.execute(trx);
  return new Map(rows.map((row) => [namespacedKey(row.namespace, { system: row.system, id: row.external_id }), row.customer_id]));
}

/** Unambiguous: a system name never contains "/". */
export const externalKey = (id: ExternalId): string => `${id.system}/${id.id}`;
/** An external id within its namespace (a namespace never contains "|"). */
export const namespacedKey = (namespace: string, id: ExternalId): string => `${namespace}|${externalKey(id)}`;

export async function addExternalIds(trx: Db, namespace: string, links: { customerId: string; externalId: ExternalId }[]): Promise<void> {
  if (links.length === 0) return;
  await sql`
    insert into ${table('external_id')} (namespace, system, external_id, customer_id)
    select ${namespace}, * from unnest(${links.map((l) => l.externalId.system)}::text[], ${links.map((l) => l.externalId.id)}::text[],
      ${links.map((l) => l.customerId)}::uuid[])
    on conflict do nothing`.execute(trx);
}

export interface TimelineWrite {
  customerId: string;
  occurredAt: string;
  type: string;
  source: string;
  data: unknown;
  /** Another person the entry's data describes (erasing that person scrubs the entry). */
  mentionedCustomerId?: string;
}

export async function addTimelineEntries(trx: Db, entries: TimelineWrite[]): Promise<void> {
  if (entries.length === 0) return;
  const records = entries.map((e) => ({
    customer_id: e.customerId,
    occurred_at: e.occurredAt,
    type: e.type,
    source: e.source,
    data: e.data,
    mentioned_customer_id: e.mentionedCustomerId ?? null,
  }));
  await sql`
    insert into ${table('timeline_entry')} (customer_id, occurred_at, type, source, data, mentioned_customer_id)
    select customer_id, occurred_at, type, source, data, mentioned_customer_id
    from jsonb_to_recordset(${json(records)})
      as r(customer_id uuid, occurred_at timestamptz, type text, source text, data jsonb, mentioned_customer_id uuid)`.execute(trx);
}

/** The API view of each customer, with its external ids and current consents: three queries for any count. */
export async function loadViews(db: Db, ids: string[]): Promise<Map<string, CustomerView>> {
  if (ids.length === 0) return new Map();
  const [rows, externals, consents] = await Promise.all([
    db.selectFrom('customer').selectAll().where('id', 'in', ids).execute(),
    db.selectFrom('external_id').select(['customer_id', 'namespace', 'system', 'external_id']).where('customer_id', 'in', ids).orderBy('created_at').execute(),
    sql<{ customer_id: string; channel: string; granted: boolean; source: string; recorded_at: Date }>`
      select distinct on (customer_id, channel) customer_id, channel, granted, source, recorded_at
      from ${table('consent')} where customer_id = any(${ids}::uuid[])
      order by customer_id, channel, recorded_at desc, id desc`.execute(db),
  ]);
  const views = new Map<string, CustomerView>();
  for (const row of rows) {
    views.set(row.id, toView(row.id, stateOf(row), { externalIds: [], consents: {}, version: row.version, createdAt: toIso(row.created_at), updatedAt: toIso(row.updated_at) }));
  }
  for (const e of externals) {
    views.get(e.customer_id)?.externalIds.push(e.namespace === SHARED_NAMESPACE ? { system: e.system, id: e.external_id } : { system: e.system, id: e.external_id, namespace: e.namespace });
  }
  for (const c of consents.rows) {
    const view = views.get(c.customer_id);
    if (view) view.consents[c.channel as keyof CustomerView['consents']] = { granted: c.granted, source: c.source, recordedAt: toIso(c.recorded_at) };
  }
  return views;
}
