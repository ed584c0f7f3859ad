import type { SalesDb } from '../db/tables';

export const customerTierRepository = Object.freeze({
  async set(db: SalesDb, customerId: string, tier: string, at: string) {
    await db
      .insertInto('customer_tier')
      .values({ customer_id: customerId, tier, changed_at: at })
      .onConflict((oc) => oc.column('customer_id').doUpdateSet({ tier, changed_at: at }).where('customer_tier.changed_at', '<=', new Date(at)))
      .execute();
  },

  async tiersOf(db: SalesDb, customerIds: readonly string[]): Promise<Map<string, string>> {
    if (customerIds.length === 0) return new Map();
    const rows = await db.selectFrom('customer_tier').select(['customer_id', 'tier']).where('customer_id', 'in', [...customerIds]).execute();
    return new Map(rows.map((row) => [row.customer_id, row.tier]));
  },

  async erase(db: SalesDb, customerIds: readonly string[]) {
    if (customerIds.length > 0) await db.deleteFrom('customer_tier').where('customer_id', 'in', [...customerIds]).execute();
  },
});
