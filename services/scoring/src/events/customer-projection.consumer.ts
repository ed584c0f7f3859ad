import { CustomerEvents, type CloudEvent, type CustomerSnapshot, type EventData } from '@crm/domain';
import { lockForTransaction, type EventHandler } from '@crm/platform';
import { sql } from 'kysely';
import { ScoringLocks, table, type ScoringDb } from '../db/scoring.repository';
import { finalSurvivorOf, isErased, isRetired, recordErasure, recordMerge } from '../db/customer-alias.repository';
import { recomputeOptionsOf, rescoreCustomers } from '../domain/scores/score.service';
import type { ScoreSettings } from '../domain/scores/score.settings';
import { refreshSegments, type SegmentContext } from '../domain/segments/segment-membership.service';
import { assignTiers } from '../domain/tiers/tier-assignment.service';


/**
 * Keeps scoring's read model of customers; pending transactions find their customer here. Stale
 * snapshots change nothing: one of a merged-away or erased customer (its `updated` may lag behind the
 * merge, which travels on the survivor's key), or one older than the version already applied (an equal
 * version is the same state, every change bumps it). Returns whether the snapshot was applied.
 */
async function project(trx: ScoringDb, customer: CustomerSnapshot, at: string): Promise<boolean> {
  if (await isRetired(trx, customer.id)) return false;
  const version = customer.version ?? 0;
  const applied = await trx
    .insertInto('customer')
    .values({
      id: customer.id,
      kind: customer.kind,
      dealer_id: customer.dealerId,
      birth_date: customer.birthDate,
      lifecycle_stage: customer.lifecycleStage,
      city: customer.city,
      region: customer.region,
      country: customer.country,
      consents: JSON.stringify(customer.consents),
      updated_at: at,
      version,
    })
    .onConflict((oc) =>
      oc
        .column('id')
        .doUpdateSet((eb) => ({
          kind: eb.ref('excluded.kind'),
          dealer_id: eb.ref('excluded.dealer_id'),
          birth_date: eb.ref('excluded.birth_date'),
          lifecycle_stage: eb.ref('excluded.lifecycle_stage'),
          city: eb.ref('excluded.city'),
          region: eb.ref('excluded.region'),
          country: eb.ref('excluded.country'),
          consents: eb.ref('excluded.consents'),
          updated_at: eb.ref('excluded.updated_at'),
          version: eb.ref('excluded.version'),
        }))
        .where('customer.version', '<=', version),
    )
    .returning('id')
    .executeTakeFirst();
  if (!applied) return false;
  await trx.deleteFrom('customer_external_id').where('customer_id', '=', customer.id).execute();
  if (customer.externalIds.length > 0) {
    await trx
      .insertInto('customer_external_id')
      .values(customer.externalIds.map((e) => ({ system: e.system, external_id: e.id, customer_id: customer.id })))
      .onConflict((oc) => oc.columns(['system', 'external_id']).doUpdateSet({ customer_id: customer.id }))
      .execute();
  }
  // Transactions that arrived before the customer did now belong to it, also those naming an id merged into it.
  await sql`
    update ${table('transaction')} t set customer_id = ${customer.id}, customer_ref_system = null, customer_ref_id = null
    where t.customer_id is null and t.customer_ref_id is not null and (
      (t.customer_ref_system = 'crm' and t.customer_ref_id = ${customer.id})
      or (t.customer_ref_system = 'crm' and t.customer_ref_id in (
        select merged_id::text from ${table('customer_alias')} where survivor_id = ${customer.id}))
      or (t.customer_ref_system, t.customer_ref_id) in (
        select system, external_id from ${table('customer_external_id')} where customer_id = ${customer.id}))`.execute(trx);
  return true;
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

/** What the projection needs besides the database: events to publish, the clock, the scoring settings. */
export interface ProjectionContext extends SegmentContext {
  config: ScoreSettings & { SCORING_TIER_GRACE_DAYS: number };
}

export function customerProjectionHandlers(context: ProjectionContext): Record<string, EventHandler> {
  const handlers: Record<string, EventHandler> = {
    [CustomerEvents.created.type]: async (trx, event: CloudEvent) => {
      const data = event.data as EventData<typeof CustomerEvents.created>;
      if (await project(trx as ScoringDb, data.customer, event.time)) await refreshSegments(trx as ScoringDb, context, { customerIds: [data.customer.id] });
    },
    [CustomerEvents.updated.type]: async (trx, event) => {
      const data = event.data as EventData<typeof CustomerEvents.updated>;
      if (await project(trx as ScoringDb, data.customer, event.time)) await refreshSegments(trx as ScoringDb, context, { customerIds: [data.customer.id] });
    },
    [CustomerEvents.merged.type]: async (trx, event) => {
      const { survivorId, mergedId, survivor } = event.data as EventData<typeof CustomerEvents.merged>;
      const db = trx as ScoringDb;
      // The survivor may have been merged on already (that merge travelled on another key and came first).
      const finalSurvivor = await finalSurvivorOf(db, survivorId);
      // Merged into someone erased since: the duplicate's data goes the way of the erased customer's.
      if (await isErased(db, finalSurvivor)) return handlers[CustomerEvents.erased.type]!(trx, { ...event, data: { customerId: mergedId } });
      await recordMerge(db, mergedId, finalSurvivor, event.time);
      const moved = await moveToSurvivor(db, mergedId, finalSurvivor);
      if (finalSurvivor === survivorId) await project(db, survivor, event.time);
      if (moved) {
        // New scores and tier at once, as after an ingest: the duplicate's revenue (or override) is the survivor's now.
        const tiers = { outbox: context.outbox, runtime: context.runtime, graceDays: context.config.SCORING_TIER_GRACE_DAYS };
        await rescoreCustomers(db, [finalSurvivor], recomputeOptionsOf(context.config, context.runtime.now()));
        await assignTiers(db, tiers, [finalSurvivor]);
      }
      // The duplicate leaves its segments; the survivor's memberships follow its merged data.
      await refreshSegments(db, context, { customerIds: [mergedId, finalSurvivor] });
    },
    [CustomerEvents.erased.type]: async (trx, event) => {
      const { customerId } = event.data as EventData<typeof CustomerEvents.erased>;
      const db = trx as ScoringDb;
      await recordErasure(db, customerId, event.time);
      // Sales stay (revenue is the company's), the link to the person goes, and so does all we derived.
      await db.updateTable('transaction').set({ customer_id: null, customer_ref_system: null, customer_ref_id: null }).where('customer_id', '=', customerId).execute();
      for (const derived of ['customer_external_id', 'customer_score', 'tier_history', 'tier_override', 'tier_downgrade_pending'] as const) {
        await db.deleteFrom(derived).where('customer_id', '=', customerId).execute();
      }
      await db.deleteFrom('customer').where('id', '=', customerId).execute();
      // No longer in the projection, the customer leaves every segment (with segment-left events).
      await refreshSegments(db, context, { customerIds: [customerId] });
    },
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
