import { sql } from 'kysely';
import type { ScoringDb } from '../db/tables';

/** Merged-away and erased customer ids: where an id lives on, and which ids must never come back. */
export const customerAliasRepository = Object.freeze({
  /**
   * The final survivor of each given id that was merged away (ids never merged are absent). Keys are
   * the ids exactly as given, so callers can look up what a sender wrote.
   */
  async survivorsOf(db: ScoringDb, ids: readonly string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const { rows } = await sql<{ named: string; survivor_id: string }>`
      select k.named, a.survivor_id from unnest(${[...ids]}::text[]) as k(named)
      join scoring.customer_alias a on a.merged_id = k.named::uuid`.execute(db);
    return new Map(rows.map((row) => [row.named, row.survivor_id]));
  },

  /** Where a customer id lives now: its final survivor when it was merged away, else itself. */
  async finalSurvivorOf(db: ScoringDb, customerId: string): Promise<string> {
    return (await customerAliasRepository.survivorsOf(db, [customerId])).get(customerId) ?? customerId;
  },

  /** The ids merged into `survivorId` (directly or along a chain: chains collapse, see recordMerge). */
  async mergedInto(db: ScoringDb, survivorId: string): Promise<string[]> {
    const rows = await db.selectFrom('customer_alias').select('merged_id').where('survivor_id', '=', survivorId).execute();
    return rows.map((row) => row.merged_id);
  },

  /**
   * Records that `mergedId` now lives on as `finalSurvivor` (see finalSurvivorOf). Chains collapse: ids
   * merged into `mergedId` earlier follow it (A into B, then B into C: A → C), so one lookup always
   * finds the final survivor.
   */
  async recordMerge(trx: ScoringDb, mergedId: string, finalSurvivor: string, at: string): Promise<void> {
    if (finalSurvivor === mergedId) return;
    await trx.updateTable('customer_alias').set({ survivor_id: finalSurvivor }).where('survivor_id', '=', mergedId).execute();
    await trx
      .insertInto('customer_alias')
      .values({ merged_id: mergedId, survivor_id: finalSurvivor, merged_at: at })
      .onConflict((oc) => oc.column('merged_id').doUpdateSet({ survivor_id: finalSurvivor }))
      .execute();
  },

  /**
   * Remembers an erased customer, and the ids that were merged into it, so that their late events never
   * bring them back; the aliases go (nothing links the erased person's ids any more).
   */
  async recordErasure(trx: ScoringDb, customerId: string, at: string): Promise<void> {
    await sql`
      insert into scoring.erased_customer (id, erased_at)
      select ${customerId}::uuid, ${at}::timestamptz
      union select merged_id, ${at}::timestamptz from scoring.customer_alias where survivor_id = ${customerId}::uuid
      on conflict (id) do nothing`.execute(trx);
    await trx.deleteFrom('customer_alias').where('survivor_id', '=', customerId).execute();
  },

  async isErased(db: ScoringDb, customerId: string): Promise<boolean> {
    return (await db.selectFrom('erased_customer').select('id').where('id', '=', customerId).executeTakeFirst()) !== undefined;
  },
});
