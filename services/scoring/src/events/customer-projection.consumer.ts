import { CustomerEvents, namespaceOf, SHARED_NAMESPACE, type CustomerSnapshot } from '@crm/domain';
import { erasePlatformRecords, eventHandlersFor, lockForTransaction, type EventHandler } from '@crm/platform';
import { sql } from 'kysely';
import { ScoringLocks, table, type ScoringDb } from '../db/scoring.repository';
import type { ScoringDatabase } from '../db/tables';
import { finalSurvivorOf, isErased, recordErasure, recordMerge } from '../db/customer-alias.repository';
import { queueRescore } from '../db/rescore-queue.repository';
import { refreshSegments, type SegmentContext } from '../domain/segments/segment-membership.service';


/**
 * Keeps scoring's read model of customers; pending transactions find their customer here. Stale
 * snapshots change nothing: one of a merged-away or erased customer (its `updated` may lag behind the
 * merge, which travels on the survivor's key), or one older than the version already applied (an equal
 * version is the same state, every change bumps it). Returns whether the snapshot was applied.
 */
async function project(trx: ScoringDb, customer: CustomerSnapshot, at: string): Promise<boolean> {
  const version = customer.version ?? 0;
  // One statement (it runs for every customer event): skipped for a retired id, no-op for an older version.
  const { rows: applied } = await sql<{ id: string }>`
    insert into ${table('customer')} (id, kind, dealer_id, birth_date, lifecycle_stage, city, region, country, consents, updated_at, version)
    select ${customer.id}::uuid, ${customer.kind}, ${customer.dealerId}::uuid, ${customer.birthDate}::date, ${customer.lifecycleStage},
      ${customer.city}, ${customer.region}, ${customer.country}, ${JSON.stringify(customer.consents)}::jsonb, ${at}::timestamptz, ${version}::integer
    where not exists (select 1 from ${table('customer_alias')} where merged_id = ${customer.id}::uuid)
      and not exists (select 1 from ${table('erased_customer')} where id = ${customer.id}::uuid)
    on conflict (id) do update set kind = excluded.kind, dealer_id = excluded.dealer_id, birth_date = excluded.birth_date,
      lifecycle_stage = excluded.lifecycle_stage, city = excluded.city, region = excluded.region, country = excluded.country,
      consents = excluded.consents, updated_at = excluded.updated_at, version = excluded.version
    where customer.version <= excluded.version
    returning id`.execute(trx);
  if (applied.length === 0) return false;
  await trx.deleteFrom('customer_external_id').where('customer_id', '=', customer.id).execute();
  if (customer.externalIds.length > 0) {
    await trx
      .insertInto('customer_external_id')
      .values(customer.externalIds.map((e) => ({ namespace: namespaceOf(e), system: e.system, external_id: e.id, customer_id: customer.id })))
      .onConflict((oc) => oc.columns(['namespace', 'system', 'external_id']).doUpdateSet({ customer_id: customer.id }))
      .execute();
  }
  // Transactions that arrived before the customer did now belong to it, also those naming an id merged into it.
  // Only staff and integrations leave rows pending, so only shared external ids claim them: a dealer's own
  // `erp/C-1001` never takes the ERP's sales.
  const linked = await sql`
    update ${table('transaction')} t set customer_id = ${customer.id}, customer_ref_system = null, customer_ref_id = null
    where t.customer_id is null and t.customer_ref_id is not null and (
      (t.customer_ref_system = 'crm' and t.customer_ref_id = ${customer.id})
      or (t.customer_ref_system = 'crm' and t.customer_ref_id in (
        select merged_id::text from ${table('customer_alias')} where survivor_id = ${customer.id}))
      or (t.customer_ref_system, t.customer_ref_id) in (
        select system, external_id from ${table('customer_external_id')} where customer_id = ${customer.id} and namespace = ${SHARED_NAMESPACE}))`.execute(trx);
  // Sales it gained count in its scores and tier: queued with this commit, like an ingest's.
  if ((linked.numAffectedRows ?? 0n) > 0n) await queueRescore(trx, [customer.id]);
  return true;
}

/**
 * Everything scoring holds on an erased person (and the ids merged into it): sales stay, as anonymous
 * revenue (the company's figures), with every link to the person gone — including pending rows that
 * name it by our id or one of its external ids; all that was derived from them goes (projection,
 * scores, tier history and override, downgrade clock), and so do dead letters and stored responses
 * that mention it.
 */
async function eraseScoringData(db: ScoringDb, ids: string[]): Promise<void> {
  await sql`
    update ${table('transaction')} t set customer_id = null, customer_ref_system = null, customer_ref_id = null
    where t.customer_id = any(${ids}::uuid[])
      or (t.customer_id is null and t.customer_ref_id is not null and (
        (t.customer_ref_system = 'crm' and t.customer_ref_id = any(${ids}::text[]))
        or (t.customer_ref_system, t.customer_ref_id) in (
          select system, external_id from ${table('customer_external_id')} where customer_id = any(${ids}::uuid[]) and namespace = ${SHARED_NAMESPACE})))`.execute(db);
  for (const derived of ['customer_external_id', 'customer_score', 'tier_history', 'tier_override', 'tier_downgrade_pending'] as const) {
    await db.deleteFrom(derived).where('customer_id', 'in', ids).execute();
  }
  await db.deleteFrom('customer').where('id', 'in', ids).execute();
  await erasePlatformRecords(db, ids);
}

/**
 * The merged-away customer's purchases, pending sales, external ids and tier record become the
 * survivor's; its own projection and scores go. Returns whether sales or an override changed hands
 * (then the survivor needs new scores and tier).
 */
async function moveToSurvivor(db: ScoringDb, mergedId: string, survivorId: string): Promise<boolean> {
  const moved = await db.updateTable('transaction').set({ customer_id: survivorId }).where('customer_id', '=', mergedId).executeTakeFirst();
  const linked = await sql`
    update ${table('transaction')} t set customer_id = ${survivorId}, customer_ref_system = null, customer_ref_id = null
    where t.customer_id is null and t.customer_ref_system = 'crm' and t.customer_ref_id in (
      select merged_id::text from ${table('customer_alias')} where survivor_id = ${survivorId})`.execute(db);
  // The tier changes are the same person's history; the survivor's own override wins over the duplicate's.
  await db.updateTable('tier_history').set({ customer_id: survivorId }).where('customer_id', '=', mergedId).execute();
  const override = await sql`
    update ${table('tier_override')} set customer_id = ${survivorId}
    where customer_id = ${mergedId} and not exists (select 1 from ${table('tier_override')} where customer_id = ${survivorId})`.execute(db);
  // Its external ids name the survivor (whose snapshot lists them too, unless the survivor was merged on since).
  await db.updateTable('customer_external_id').set({ customer_id: survivorId }).where('customer_id', '=', mergedId).execute();
  for (const derived of ['tier_override', 'tier_downgrade_pending', 'customer_score'] as const) {
    await db.deleteFrom(derived).where('customer_id', '=', mergedId).execute();
  }
  await db.deleteFrom('customer').where('id', '=', mergedId).execute();
  return moved.numUpdatedRows > 0n || (linked.numAffectedRows ?? 0n) > 0n || (override.numAffectedRows ?? 0n) > 0n;
}

const on = eventHandlersFor<ScoringDatabase>();

export function customerProjectionHandlers(context: SegmentContext): Record<string, EventHandler> {
  /** Everything scoring holds on the person and the ids merged into it goes; the ids are remembered. */
  const erase = async (db: ScoringDb, customerId: string, mergedIds: readonly string[], at: string) => {
    // The ids merged into the person are the person too: those the customers service names and those scoring knows.
    const aliases = await db.selectFrom('customer_alias').select('merged_id').where('survivor_id', '=', customerId).execute();
    const ids = [...new Set([customerId, ...mergedIds, ...aliases.map((alias) => alias.merged_id)])];
    await eraseScoringData(db, ids);
    // Remembered, so that a late event about any of them never brings the person back.
    for (const id of ids) await recordErasure(db, id, at);
    // No longer in the projection, the customer leaves every segment (with segment-left events).
    await refreshSegments(db, context, { customerIds: ids });
  };
  const handlers: Record<string, EventHandler> = {
    ...on(CustomerEvents.created, async (db, { customer }, event) => {
      if (await project(db, customer, event.time)) await refreshSegments(db, context, { customerIds: [customer.id] });
    }),
    ...on(CustomerEvents.updated, async (db, { customer }, event) => {
      if (await project(db, customer, event.time)) await refreshSegments(db, context, { customerIds: [customer.id] });
    }),
    ...on(CustomerEvents.merged, async (db, { survivorId, mergedId, survivor }, event) => {
      // The survivor may have been merged on already (that merge travelled on another key and came first).
      const finalSurvivor = await finalSurvivorOf(db, survivorId);
      // Merged into someone erased since: the duplicate's data goes the way of the erased customer's.
      if (await isErased(db, finalSurvivor)) return erase(db, mergedId, [], event.time);
      await recordMerge(db, mergedId, finalSurvivor, event.time);
      const moved = await moveToSurvivor(db, mergedId, finalSurvivor);
      if (finalSurvivor === survivorId) await project(db, survivor, event.time);
      // New scores and tier, as after an ingest: the duplicate's revenue (or override) is the survivor's now.
      if (moved) await queueRescore(db, [finalSurvivor]);
      // The duplicate leaves its segments; the survivor's memberships follow its merged data.
      await refreshSegments(db, context, { customerIds: [mergedId, finalSurvivor] });
    }),
    ...on(CustomerEvents.erased, async (db, { customerId, mergedIds = [] }, event) => erase(db, customerId, mergedIds, event.time)),
  };
  // Every customer event may link, re-key or unlink transactions: never while an ingest is resolving customers.
  return Object.fromEntries(
    Object.entries(handlers).map(([type, handle]) => [
      type,
      async (trx, event) => {
        await lockForTransaction(trx, ScoringLocks.customerLinks);
        await handle(trx, event);
      },
    ]),
  );
}
