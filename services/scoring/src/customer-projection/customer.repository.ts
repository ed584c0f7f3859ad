import { SHARED_NAMESPACE, type CustomerSnapshot, type ExternalId } from '@crm/domain';
import { sql, type RawBuilder } from 'kysely';
import type { ScoringDb } from '../db/tables';

/** A customer a batch row names (its final survivor, when the id was merged away), with the dealer it is assigned to now. */
export interface KnownCustomer {
  id: string;
  dealerId: string | null;
}

/** An external id of a customer as the projection keeps it: in its namespace (`shared` or `dealer:<id>`). */
export interface ProjectedExternalId {
  namespace: string;
  system: string;
  id: string;
}

/** An external id within its namespace, as `knownCustomers` keys them (a namespace never contains "|"). */
export const namespacedKey = (namespace: string, system: string, id: string): string => `${namespace}|${system}/${id}`;

/**
 * Whether the customer in `customerIdColumn` is assigned to the dealer now: what a dealer may see of
 * transactions and reports (ADR 0008). The customer's current assignment decides, not the row's
 * `dealer_id` (who sold it): a customer moved to another dealer takes its history along, and a sale
 * another dealer or the ERP booked for a dealer's customer is part of that customer's history.
 */
export function assignedToDealer(customerIdColumn: string, dealerId: string): RawBuilder<boolean> {
  return sql<boolean>`${sql.ref(customerIdColumn)} in (select id from scoring.customer where dealer_id = ${dealerId}::uuid)`;
}

/** Scoring's read model of the customers service's customers (from crm.customers events), and what hangs on it. */
export const customerRepository = Object.freeze({
  /** The customer's dealer assignment, or undefined when scoring does not know the customer. */
  async findAssignment(db: ScoringDb, customerId: string): Promise<KnownCustomer | undefined> {
    const row = await db.selectFrom('customer').select(['id', 'dealer_id']).where('id', '=', customerId).executeTakeFirst();
    return row && { id: row.id, dealerId: row.dealer_id };
  },

  /**
   * Which known customers the batch names: by our id, and by external id in any of these namespaces. A
   * merged-away id (or an external id that pointed at one) resolves to its final survivor: `byId` maps each
   * id as written to that customer.
   */
  async knownCustomers(db: ScoringDb, ids: string[], externalIds: ExternalId[], namespaces: readonly string[]) {
    const [byId, byExternal] = await Promise.all([
      ids.length
        ? sql<{ named: string; customer_id: string; dealer_id: string | null }>`
            select k.named, c.id as customer_id, c.dealer_id from unnest(${ids}::text[]) as k(named)
            left join scoring.customer_alias a on a.merged_id = k.named::uuid
            join scoring.customer c on c.id = coalesce(a.survivor_id, k.named::uuid)`.execute(db).then((r) => r.rows)
        : Promise.resolve([]),
      externalIds.length
        ? sql<{ namespace: string; system: string; external_id: string; customer_id: string; dealer_id: string | null }>`
            select e.namespace, e.system, e.external_id, c.id as customer_id, c.dealer_id from scoring.customer_external_id e
            join unnest(${externalIds.map((e) => e.system)}::text[], ${externalIds.map((e) => e.id)}::text[]) as k(system, external_id)
              using (system, external_id)
            left join scoring.customer_alias a on a.merged_id = e.customer_id
            join scoring.customer c on c.id = coalesce(a.survivor_id, e.customer_id)
            where e.namespace = any(${namespaces}::text[])`.execute(db).then((r) => r.rows)
        : Promise.resolve([]),
    ]);
    return {
      byId: new Map<string, KnownCustomer>(byId.map((r) => [r.named, { id: r.customer_id, dealerId: r.dealer_id }])),
      byExternal: new Map<string, KnownCustomer>(byExternal.map((r) => [namespacedKey(r.namespace, r.system, r.external_id), { id: r.customer_id, dealerId: r.dealer_id }])),
    };
  },

  /**
   * Applies a snapshot in one statement (it runs for every customer event): skipped for a retired id
   * (merged away or erased), no-op for an older version than the one applied. Returns whether it applied.
   */
  async applySnapshot(trx: ScoringDb, customer: CustomerSnapshot, at: string): Promise<boolean> {
    const version = customer.version ?? 0;
    const { rows: applied } = await sql<{ id: string }>`
      insert into scoring.customer (id, kind, dealer_id, birth_date, lifecycle_stage, city, region, country, consents, updated_at, version)
      select ${customer.id}::uuid, ${customer.kind}, ${customer.dealerId}::uuid, ${customer.birthDate}::date, ${customer.lifecycleStage},
        ${customer.city}, ${customer.region}, ${customer.country}, ${JSON.stringify(customer.consents)}::jsonb, ${at}::timestamptz, ${version}::integer
      where not exists (select 1 from scoring.customer_alias where merged_id = ${customer.id}::uuid)
        and not exists (select 1 from scoring.erased_customer where id = ${customer.id}::uuid)
      on conflict (id) do update set kind = excluded.kind, dealer_id = excluded.dealer_id, birth_date = excluded.birth_date,
        lifecycle_stage = excluded.lifecycle_stage, city = excluded.city, region = excluded.region, country = excluded.country,
        consents = excluded.consents, updated_at = excluded.updated_at, version = excluded.version
      where customer.version <= excluded.version
      returning id`.execute(trx);
    return applied.length > 0;
  },

  /** The customer's external ids become exactly these. */
  async replaceExternalIds(trx: ScoringDb, customerId: string, externalIds: readonly ProjectedExternalId[]): Promise<void> {
    await trx.deleteFrom('customer_external_id').where('customer_id', '=', customerId).execute();
    if (externalIds.length === 0) return;
    await trx
      .insertInto('customer_external_id')
      .values(externalIds.map((e) => ({ namespace: e.namespace, system: e.system, external_id: e.id, customer_id: customerId })))
      .onConflict((oc) => oc.columns(['namespace', 'system', 'external_id']).doUpdateSet({ customer_id: customerId }))
      .execute();
  },

  /**
   * Transactions that arrived before the customer did now belong to it, also those naming an id merged into it.
   * Only staff and integrations leave rows pending, so only shared external ids claim them: a dealer's own
   * `erp/C-1001` never takes the ERP's sales. Returns how many were linked.
   */
  async linkPendingTransactions(trx: ScoringDb, customerId: string): Promise<bigint> {
    const linked = await sql`
      update scoring.transaction t set customer_id = ${customerId}, customer_ref_system = null, customer_ref_id = null
      where t.customer_id is null and t.customer_ref_id is not null and (
        (t.customer_ref_system = 'crm' and t.customer_ref_id = ${customerId})
        or (t.customer_ref_system = 'crm' and t.customer_ref_id in (
          select merged_id::text from scoring.customer_alias where survivor_id = ${customerId}))
        or (t.customer_ref_system, t.customer_ref_id) in (
          select system, external_id from scoring.customer_external_id where customer_id = ${customerId} and namespace = ${SHARED_NAMESPACE}))`.execute(trx);
    return linked.numAffectedRows ?? 0n;
  },

  /**
   * Everything scoring holds on an erased person (and the ids merged into it): sales stay, as anonymous
   * revenue (the company's figures), with every link to the person gone — including pending rows that
   * name it by our id or one of its external ids; all that was derived from them goes (projection,
   * scores, tier history and override, downgrade clock).
   */
  async eraseCustomers(db: ScoringDb, ids: readonly string[]): Promise<void> {
    const all = [...ids];
    await sql`
      update scoring.transaction t set customer_id = null, customer_ref_system = null, customer_ref_id = null
      where t.customer_id = any(${all}::uuid[])
        or (t.customer_id is null and t.customer_ref_id is not null and (
          (t.customer_ref_system = 'crm' and t.customer_ref_id = any(${all}::text[]))
          or (t.customer_ref_system, t.customer_ref_id) in (
            select system, external_id from scoring.customer_external_id where customer_id = any(${all}::uuid[]) and namespace = ${SHARED_NAMESPACE})))`.execute(db);
    for (const derived of ['customer_external_id', 'customer_score', 'tier_history', 'tier_override', 'tier_downgrade_pending'] as const) {
      await db.deleteFrom(derived).where('customer_id', 'in', all).execute();
    }
    await db.deleteFrom('customer').where('id', 'in', all).execute();
  },

  /**
   * The merged-away customer's purchases, pending sales, external ids and tier record become the
   * survivor's; its own projection and scores go. Returns whether sales or an override changed hands
   * (then the survivor needs new scores and tier).
   */
  async moveToSurvivor(db: ScoringDb, mergedId: string, survivorId: string): Promise<boolean> {
    const moved = await db.updateTable('transaction').set({ customer_id: survivorId }).where('customer_id', '=', mergedId).executeTakeFirst();
    const linked = await sql`
      update scoring.transaction t set customer_id = ${survivorId}, customer_ref_system = null, customer_ref_id = null
      where t.customer_id is null and t.customer_ref_system = 'crm' and t.customer_ref_id in (
        select merged_id::text from scoring.customer_alias where survivor_id = ${survivorId})`.execute(db);
    // The tier changes are the same person's history; the survivor's own override wins over the duplicate's.
    await db.updateTable('tier_history').set({ customer_id: survivorId }).where('customer_id', '=', mergedId).execute();
    const override = await sql`
      update scoring.tier_override set customer_id = ${survivorId}
      where customer_id = ${mergedId} and not exists (select 1 from scoring.tier_override where customer_id = ${survivorId})`.execute(db);
    // Its external ids name the survivor (whose snapshot lists them too, unless the survivor was merged on since).
    await db.updateTable('customer_external_id').set({ customer_id: survivorId }).where('customer_id', '=', mergedId).execute();
    for (const derived of ['tier_override', 'tier_downgrade_pending', 'customer_score'] as const) {
      await db.deleteFrom(derived).where('customer_id', '=', mergedId).execute();
    }
    await db.deleteFrom('customer').where('id', '=', mergedId).execute();
    return moved.numUpdatedRows > 0n || (linked.numAffectedRows ?? 0n) > 0n || (override.numAffectedRows ?? 0n) > 0n;
  },
});
