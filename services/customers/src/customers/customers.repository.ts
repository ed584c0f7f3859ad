import { SHARED_NAMESPACE, type Address, type ExternalId, type LifecycleStage, type PartyRole } from '@crm/domain';
import { sql } from 'kysely';
import type { CustomerRow, CustomersDatabase, Db } from '../db/tables';
import { namespacedKey, toView, type CustomerState } from './customer.model';
import type { CustomerView } from './customers.schemas';

export type { CustomerRow, Db } from '../db/tables';

/** A table of the customers schema, qualified, for raw SQL (withSchema does not reach into it). */
export const table = (name: keyof CustomersDatabase) => sql.table(`customers.${name}`);
/** A value as a jsonb parameter (one parameter for a whole set of rows). */
export const jsonb = (value: unknown) => sql`${JSON.stringify(value)}::jsonb`;
const toIso = (value: Date | string): string => (value instanceof Date ? value : new Date(value)).toISOString();

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

/** What a customer search filters by; `dealerScope` confines it to one dealer's customers. */
export interface CustomerFilter {
  dealerScope?: string | undefined;
  dealerId?: string | undefined;
  lifecycleStage?: LifecycleStage | undefined;
  role?: PartyRole | undefined;
  email?: string | undefined;
  phone?: string | undefined;
  /** An external id, looked up in these namespaces (all of them when undefined). */
  external?: { system: string; id: string; namespaces: string[] | undefined } | undefined;
  /** A name prefix (case-insensitive), or with pg_trgm also a similar name. */
  name?: { text: string; trigram: boolean } | undefined;
  afterId?: string | undefined;
  limit: number;
}

/** Customer rows and their external ids: the one table family every feature reads customers through. */
export const customerRepository = Object.freeze({
  /** One statement for any number of new customers. */
  async insertMany(trx: Db, writes: CustomerWrite[]): Promise<void> {
    if (writes.length === 0) return;
    await sql`
      insert into ${table('customer')} (id, kind, display_name, given_name, family_name, organization_name, birth_date,
        lifecycle_stage, roles, dealer_id, emails, phones, addresses, attributes, field_updated_at, created_at, updated_at)
      select id, kind, display_name, given_name, family_name, organization_name, birth_date, lifecycle_stage, roles,
        dealer_id, emails, phones, addresses, attributes, field_updated_at, at, at
      from jsonb_to_recordset(${jsonb(writes.map(recordOf))}) as ${RECORD_COLUMNS}`.execute(trx);
  },

  /** One statement for any number of changed customers; bumps each version. */
  async updateMany(trx: Db, writes: CustomerWrite[]): Promise<void> {
    if (writes.length === 0) return;
    await sql`
      update ${table('customer')} c set kind = r.kind, display_name = r.display_name, given_name = r.given_name,
        family_name = r.family_name, organization_name = r.organization_name, birth_date = r.birth_date,
        lifecycle_stage = r.lifecycle_stage, roles = r.roles, dealer_id = r.dealer_id, emails = r.emails,
        phones = r.phones, addresses = r.addresses, attributes = r.attributes, field_updated_at = r.field_updated_at,
        updated_at = r.at, version = c.version + 1
      from jsonb_to_recordset(${jsonb(writes.map(recordOf))}) as ${RECORD_COLUMNS}
      where c.id = r.id`.execute(trx);
  },

  /** A change that is not a field of the row (a contact, a consent): a new version all the same. */
  async bumpVersion(trx: Db, id: string, at: string): Promise<void> {
    await trx.updateTable('customer').set((eb) => ({ version: eb('version', '+', 1), updated_at: at })).where('id', '=', id).execute();
  },

  /** Locks and returns the customers with these ids (merged and erased ones included). */
  async lockByIds(trx: Db, ids: string[]): Promise<CustomerRow[]> {
    if (ids.length === 0) return [];
    return trx.selectFrom('customer').selectAll().where('id', 'in', ids).orderBy('id').forUpdate().execute();
  },

  async findById(db: Db, id: string): Promise<CustomerRow | undefined> {
    return db.selectFrom('customer').selectAll().where('id', '=', id).executeTakeFirst();
  },

  /** Status and forwarding of one customer, if it exists. */
  async statusOf(db: Db, id: string): Promise<Pick<CustomerRow, 'status' | 'merged_into'> | undefined> {
    return db.selectFrom('customer').select(['status', 'merged_into']).where('id', '=', id).executeTakeFirst();
  },

  /** Which of these ids are customers of this dealer. */
  async idsOfDealer(db: Db, ids: string[], dealerId: string): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await db.selectFrom('customer').select('id').where('id', 'in', ids).where('dealer_id', '=', dealerId).execute();
    return rows.map((r) => r.id);
  },

  /** The dealer of each of these ids that is a customer. */
  async dealersOf(db: Db, ids: string[]): Promise<Pick<CustomerRow, 'id' | 'dealer_id'>[]> {
    if (ids.length === 0) return [];
    return db.selectFrom('customer').select(['id', 'dealer_id']).where('id', 'in', ids).execute();
  },

  /** Keyset page of active customers' ids (one more than `limit`, for the next cursor). */
  async search(db: Db, filter: CustomerFilter): Promise<string[]> {
    let query = db.selectFrom('customer').select('id').where('status', '=', 'active');
    if (filter.dealerScope) query = query.where('dealer_id', '=', filter.dealerScope);
    if (filter.dealerId) query = query.where('dealer_id', '=', filter.dealerId);
    if (filter.lifecycleStage) query = query.where('lifecycle_stage', '=', filter.lifecycleStage);
    if (filter.role) query = query.where(sql<boolean>`roles @> array[${filter.role}]::text[]`);
    if (filter.email) query = query.where(sql<boolean>`emails @> array[${filter.email}]::text[]`);
    if (filter.phone) query = query.where(sql<boolean>`phones @> array[${filter.phone}]::text[]`);
    const { external, name } = filter;
    if (external) {
      query = query.where('id', 'in', (eb) => {
        const match = eb.selectFrom('external_id').select('customer_id').where('system', '=', external.system).where('external_id', '=', external.id);
        return external.namespaces ? match.where('namespace', 'in', external.namespaces) : match;
      });
    }
    if (name) {
      const q = name.text.toLowerCase();
      const prefix = `${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query = query.where(
        name.trigram
          ? sql<boolean>`(lower(display_name) like ${prefix} or lower(display_name) % ${q})`
          : sql<boolean>`lower(display_name) like ${prefix}`,
      );
    }
    if (filter.afterId) query = query.where('id', '>', filter.afterId);
    return (await query.orderBy('id').limit(filter.limit + 1).execute()).map((r) => r.id);
  },

  /** Which customer owns each of these external ids in each of these namespaces, by `namespacedKey`. */
  async externalIdOwners(trx: Db, ids: ExternalId[], namespaces: readonly string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const { rows } = await sql<{ namespace: string; system: string; external_id: string; customer_id: string }>`
      select e.namespace, e.system, e.external_id, e.customer_id from ${table('external_id')} e
      join unnest(${ids.map((i) => i.system)}::text[], ${ids.map((i) => i.id)}::text[]) as k(system, external_id)
        using (system, external_id)
      where e.namespace = any(${namespaces}::text[])`.execute(trx);
    return new Map(rows.map((row) => [namespacedKey(row.namespace, { system: row.system, id: row.external_id }), row.customer_id]));
  },

  async addExternalIds(trx: Db, namespace: string, links: { customerId: string; externalId: ExternalId }[]): Promise<void> {
    if (links.length === 0) return;
    await sql`
      insert into ${table('external_id')} (namespace, system, external_id, customer_id)
      select ${namespace}, * from unnest(${links.map((l) => l.externalId.system)}::text[], ${links.map((l) => l.externalId.id)}::text[],
        ${links.map((l) => l.customerId)}::uuid[])
      on conflict do nothing`.execute(trx);
  },

  /** The API view of each customer, with its external ids and current consents: three queries for any count. */
  async loadViews(db: Db, ids: string[]): Promise<Map<string, CustomerView>> {
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
  },

  /** A merge: the duplicate's external ids now name the survivor. */
  async moveExternalIds(trx: Db, from: string, to: string): Promise<void> {
    await trx.updateTable('external_id').set({ customer_id: to }).where('customer_id', '=', from).execute();
  },

  /** The duplicate becomes an alias; aliases of the duplicate now forward straight to the survivor. */
  async markMerged(trx: Db, from: string, to: string, at: string): Promise<void> {
    await sql`update ${table('customer')} set status = 'merged', merged_into = ${to}, updated_at = ${at}, version = version + 1
      where id = ${from} or merged_into = ${from}`.execute(trx);
  },

  /** The customers merged into this one, with their contact points (erased with it). */
  async aliasesOf(trx: Db, id: string): Promise<Pick<CustomerRow, 'id' | 'emails' | 'phones'>[]> {
    return trx.selectFrom('customer').select(['id', 'emails', 'phones']).where('merged_into', '=', id).orderBy('id').execute();
  },

  /** Personal data goes, an anonymous tombstone stays; the external ids that named them go too. */
  async erase(trx: Db, ids: string[], at: string): Promise<void> {
    await sql`update ${table('customer')} set status = 'erased', display_name = 'erased', given_name = null, family_name = null,
        organization_name = null, birth_date = null, emails = '{}', phones = '{}', addresses = '[]', attributes = '{}',
        field_updated_at = '{}', erased_at = ${at}, updated_at = ${at}, version = version + 1
      where id = any(${ids}::uuid[])`.execute(trx);
    await sql`delete from ${table('external_id')} where customer_id = any(${ids}::uuid[])`.execute(trx);
  },
});
