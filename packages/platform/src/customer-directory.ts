import { CustomerEvents, type CustomerSnapshot } from '@crm/domain';
import { sql, type ColumnType, type Generated, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { eventHandlersFor, type EventHandler } from './event-consumer';
import { erasePlatformRecords } from './personal-data';

/**
 * A service's read model of the customers it works with (sales, tickets, campaigns): the pseudonymous
 * snapshot the customers service publishes (ADR 0009), where merged ids now live, and which ids were
 * erased. Kept from `crm.customers` by `customerDirectoryHandlers`; the service adds what it must do
 * with its own rows on a merge or an erasure.
 */
export interface CustomerDirectoryTables {
  customer: {
    id: string;
    kind: string;
    dealer_id: string | null;
    lifecycle_stage: string;
    city: string | null;
    region: string | null;
    country: string | null;
    /** The customers service's row version of the snapshot applied last. */
    version: Generated<number>;
    updated_at: ColumnType<Date, Date | string, Date | string>;
  };
  customer_alias: { merged_id: string; survivor_id: string; merged_at: ColumnType<Date, Date | string, Date | string> };
  erased_customer: { id: string; erased_at: ColumnType<Date, Date | string, Date | string> };
}

type Db = Kysely<CustomerDirectoryTables>;

// Frozen: never edit after release; change the tables with a new migration.
export const customerDirectoryMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('customer')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('dealer_id', 'uuid')
      .addColumn('lifecycle_stage', 'text', (c) => c.notNull())
      .addColumn('city', 'text')
      .addColumn('region', 'text')
      .addColumn('country', 'text')
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('customer_dealer_idx').on('customer').column('dealer_id').execute();
    await db.schema
      .createTable('customer_alias')
      .addColumn('merged_id', 'uuid', (c) => c.primaryKey())
      .addColumn('survivor_id', 'uuid', (c) => c.notNull())
      .addColumn('merged_at', 'timestamptz', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('customer_alias_survivor_idx').on('customer_alias').column('survivor_id').execute();
    await db.schema.createTable('erased_customer').addColumn('id', 'uuid', (c) => c.primaryKey()).addColumn('erased_at', 'timestamptz', (c) => c.notNull()).execute();
  },
  async down(db: Kysely<any>) {
    for (const table of ['erased_customer', 'customer_alias', 'customer']) await db.schema.dropTable(table).execute();
  },
};

/** Reading the directory; every function takes the service's handle (or transaction) first. */
export const customerDirectory = Object.freeze({
  /** The customer as last projected, or undefined (unknown, merged away or erased). */
  async find(db: Kysely<any>, id: string) {
    return (db as Db).selectFrom('customer').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async findMany(db: Kysely<any>, ids: readonly string[]) {
    if (ids.length === 0) return [];
    return (db as Db).selectFrom('customer').selectAll().where('id', 'in', [...ids]).execute();
  },

  /** The final survivor of each id that was merged away (ids never merged are absent). */
  async survivorsOf(db: Kysely<any>, ids: readonly string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await (db as Db).selectFrom('customer_alias').select(['merged_id', 'survivor_id']).where('merged_id', 'in', [...ids]).execute();
    return new Map(rows.map((row) => [row.merged_id, row.survivor_id]));
  },

  /** Where a customer id lives now: its final survivor when it was merged away, else itself. */
  async finalSurvivorOf(db: Kysely<any>, id: string): Promise<string> {
    return (await customerDirectory.survivorsOf(db, [id])).get(id) ?? id;
  },

  /** The ids that were merged into this customer (and live on as it). */
  async mergedInto(db: Kysely<any>, survivorId: string): Promise<string[]> {
    const rows = await (db as Db).selectFrom('customer_alias').select('merged_id').where('survivor_id', '=', survivorId).execute();
    return rows.map((row) => row.merged_id);
  },

  async isErased(db: Kysely<any>, id: string): Promise<boolean> {
    return (await (db as Db).selectFrom('erased_customer').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
  },
});

/** What the service does with its own rows; each runs in the event's transaction. */
export interface CustomerDirectoryHooks {
  /** The customer's snapshot was applied (created or changed). */
  projected?: (trx: Kysely<any>, customer: CustomerSnapshot) => Promise<void>;
  /** `mergedId`'s rows become `survivorId`'s (the final survivor). */
  merged?: (trx: Kysely<any>, mergedId: string, survivorId: string) => Promise<void>;
  /** Everything held on these ids (the person and the ids merged into it) must go. */
  /** `contactDigests`: the person's e-mails and phones as keyed digests (`contactDigest`), for rows never linked to it. */
  erased?: (trx: Kysely<any>, ids: string[], contactDigests: readonly string[]) => Promise<void>;
}

/**
 * Applies a snapshot unless it is stale: of a merged-away or erased id (its `updated` may lag behind the
 * merge, which travels on the survivor's key), or older than the version held (an equal version is the
 * same state). Returns whether it was applied.
 */
async function project(trx: Db, customer: CustomerSnapshot, at: string): Promise<boolean> {
  if ((await customerDirectory.survivorsOf(trx, [customer.id])).size > 0 || (await customerDirectory.isErased(trx, customer.id))) return false;
  const row = {
    id: customer.id,
    kind: customer.kind,
    dealer_id: customer.dealerId,
    lifecycle_stage: customer.lifecycleStage,
    city: customer.city,
    region: customer.region,
    country: customer.country,
    version: customer.version ?? 0,
    updated_at: at,
  };
  const applied = await trx
    .insertInto('customer')
    .values(row)
    .onConflict((oc) =>
      oc
        .column('id')
        .doUpdateSet((eb) => ({
          kind: eb.ref('excluded.kind'),
          dealer_id: eb.ref('excluded.dealer_id'),
          lifecycle_stage: eb.ref('excluded.lifecycle_stage'),
          city: eb.ref('excluded.city'),
          region: eb.ref('excluded.region'),
          country: eb.ref('excluded.country'),
          version: eb.ref('excluded.version'),
          updated_at: eb.ref('excluded.updated_at'),
        }))
        .where('customer.version', '<=', sql<number>`excluded.version`),
    )
    .returning('id')
    .executeTakeFirst();
  return applied !== undefined;
}

/** Remembers that `mergedId` lives on as `survivorId`; chains collapse (A into B, then B into C: A → C). */
async function recordMerge(trx: Db, mergedId: string, survivorId: string, at: string): Promise<void> {
  if (survivorId === mergedId) return;
  await trx.updateTable('customer_alias').set({ survivor_id: survivorId }).where('survivor_id', '=', mergedId).execute();
  await trx
    .insertInto('customer_alias')
    .values({ merged_id: mergedId, survivor_id: survivorId, merged_at: at })
    .onConflict((oc) => oc.column('merged_id').doUpdateSet({ survivor_id: survivorId }))
    .execute();
  await trx.deleteFrom('customer').where('id', '=', mergedId).execute();
}

/**
 * The handlers that keep the directory from `crm.customers`, calling the service's hooks. An erasure
 * takes the person, the ids merged into it (named by the event and known here), the service's rows
 * (`erased` hook) and its platform records; the ids are remembered so a late event never brings them back.
 */
export function customerDirectoryHandlers(hooks: CustomerDirectoryHooks = {}): Record<string, EventHandler> {
  const on = eventHandlersFor<CustomerDirectoryTables>();
  const erase = async (trx: Db, customerId: string, mergedIds: readonly string[], contactDigests: readonly string[], at: string) => {
    const aliases = await trx.selectFrom('customer_alias').select('merged_id').where('survivor_id', '=', customerId).execute();
    const ids = [...new Set([customerId, ...mergedIds, ...aliases.map((alias) => alias.merged_id)])];
    await hooks.erased?.(trx, ids, contactDigests);
    await trx.deleteFrom('customer').where('id', 'in', ids).execute();
    await trx.deleteFrom('customer_alias').where('survivor_id', 'in', ids).execute();
    await trx
      .insertInto('erased_customer')
      .values(ids.map((id) => ({ id, erased_at: at })))
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    await erasePlatformRecords(trx, ids);
  };
  const projected = async (trx: Db, customer: CustomerSnapshot, at: string) => {
    if (await project(trx, customer, at)) await hooks.projected?.(trx, customer);
  };
  return {
    ...on(CustomerEvents.created, (trx, { customer }, event) => projected(trx, customer, event.time)),
    ...on(CustomerEvents.updated, (trx, { customer }, event) => projected(trx, customer, event.time)),
    ...on(CustomerEvents.merged, async (trx, { survivorId, mergedId, survivor }, event) => {
      // The survivor may have been merged on already (that merge travelled on another key and came first).
      const finalSurvivor = await customerDirectory.finalSurvivorOf(trx, survivorId);
      if (await customerDirectory.isErased(trx, finalSurvivor)) return erase(trx, mergedId, [], [], event.time);
      await recordMerge(trx, mergedId, finalSurvivor, event.time);
      await hooks.merged?.(trx, mergedId, finalSurvivor);
      if (finalSurvivor === survivorId) await projected(trx, survivor, event.time);
    }),
    ...on(CustomerEvents.erased, (trx, { customerId, mergedIds = [], contactDigests = [] }, event) => erase(trx, customerId, mergedIds, contactDigests, event.time)),
  };
}
