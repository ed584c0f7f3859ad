import { CustomerEvents, namespaceOf, SHARED_NAMESPACE, type CloudEvent, type CustomerSnapshot, type EventData } from '@crm/domain';
import { erasePlatformRecords, lockForTransaction, type EventHandler } from '@crm/platform';
import { sql } from 'kysely';
import { ScoringLocks, table, type ScoringDb } from '../db/scoring.repository';
import { refreshSegments, type SegmentContext } from '../domain/segments/segment-membership.service';


/** Keeps scoring's read model of customers; pending transactions find their customer here. */
async function project(trx: ScoringDb, customer: CustomerSnapshot, at: string): Promise<void> {
  await trx
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
    })
    .onConflict((oc) =>
      oc.column('id').doUpdateSet((eb) => ({
        kind: eb.ref('excluded.kind'),
        dealer_id: eb.ref('excluded.dealer_id'),
        birth_date: eb.ref('excluded.birth_date'),
        lifecycle_stage: eb.ref('excluded.lifecycle_stage'),
        city: eb.ref('excluded.city'),
        region: eb.ref('excluded.region'),
        country: eb.ref('excluded.country'),
        consents: eb.ref('excluded.consents'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
  await trx.deleteFrom('customer_external_id').where('customer_id', '=', customer.id).execute();
  if (customer.externalIds.length > 0) {
    await trx
      .insertInto('customer_external_id')
      .values(customer.externalIds.map((e) => ({ namespace: namespaceOf(e), system: e.system, external_id: e.id, customer_id: customer.id })))
      .onConflict((oc) => oc.columns(['namespace', 'system', 'external_id']).doUpdateSet({ customer_id: customer.id }))
      .execute();
  }
  // Transactions that arrived before the customer did now belong to it. Only staff and integrations leave
  // rows pending, so only shared external ids claim them: a dealer's own `erp/C-1001` never takes the ERP's sales.
  await sql`
    update ${table('transaction')} t set customer_id = ${customer.id}, customer_ref_system = null, customer_ref_id = null
    where t.customer_id is null and t.customer_ref_id is not null and (
      (t.customer_ref_system = 'crm' and t.customer_ref_id = ${customer.id})
      or (t.customer_ref_system, t.customer_ref_id) in (
        select system, external_id from ${table('customer_external_id')} where customer_id = ${customer.id} and namespace = ${SHARED_NAMESPACE}))`.execute(trx);
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

export function customerProjectionHandlers(context: SegmentContext): Record<string, EventHandler> {
  const handlers: Record<string, EventHandler> = {
    [CustomerEvents.created.type]: async (trx, event: CloudEvent) => {
      const data = event.data as EventData<typeof CustomerEvents.created>;
      await project(trx as ScoringDb, data.customer, event.time);
      await refreshSegments(trx as ScoringDb, context, { customerIds: [data.customer.id] });
    },
    [CustomerEvents.updated.type]: async (trx, event) => {
      const data = event.data as EventData<typeof CustomerEvents.updated>;
      await project(trx as ScoringDb, data.customer, event.time);
      await refreshSegments(trx as ScoringDb, context, { customerIds: [data.customer.id] });
    },
    [CustomerEvents.merged.type]: async (trx, event) => {
      const { survivorId, mergedId, survivor } = event.data as EventData<typeof CustomerEvents.merged>;
      const db = trx as ScoringDb;
      // The duplicate's purchases are the survivor's now.
      await db.updateTable('transaction').set({ customer_id: survivorId }).where('customer_id', '=', mergedId).execute();
      await db.deleteFrom('customer_external_id').where('customer_id', '=', mergedId).execute();
      await db.deleteFrom('customer').where('id', '=', mergedId).execute();
      await project(db, survivor, event.time);
      // The duplicate leaves its segments; the survivor's memberships follow its merged data.
      await refreshSegments(db, context, { customerIds: [mergedId, survivorId] });
    },
    [CustomerEvents.erased.type]: async (trx, event) => {
      const { customerId, mergedIds = [] } = event.data as EventData<typeof CustomerEvents.erased>;
      await eraseScoringData(trx as ScoringDb, [customerId, ...mergedIds]);
      // No longer in the projection, the customer leaves every segment (with segment-left events).
      await refreshSegments(trx as ScoringDb, context, { customerIds: [customerId, ...mergedIds] });
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
