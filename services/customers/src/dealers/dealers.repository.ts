import type { Db, DealerRow } from '../db/tables';

export type { DealerRow } from '../db/tables';

export interface DealerFields {
  code: string;
  name: string;
  region: string | null;
  city: string | null;
}

export const dealerRepository = Object.freeze({
  /** The new dealer, or undefined when its code is taken. */
  async insert(trx: Db, dealer: DealerFields & { id: string; at: Date }): Promise<DealerRow | undefined> {
    const { id, code, name, region, city, at } = dealer;
    return trx
      .insertInto('dealer')
      .values({ id, code, name, region, city, created_at: at, updated_at: at })
      .onConflict((oc) => oc.column('code').doNothing())
      .returningAll()
      .executeTakeFirst();
  },

  /** Keyset page by code (one more than `limit`, for the next cursor); `onlyId` confines it to one dealer. */
  async list(db: Db, page: { onlyId?: string | undefined; afterCode?: string | undefined; limit: number }): Promise<DealerRow[]> {
    let query = db.selectFrom('dealer').selectAll();
    if (page.onlyId !== undefined) query = query.where('id', '=', page.onlyId);
    if (page.afterCode !== undefined) query = query.where('code', '>', page.afterCode);
    return query.orderBy('code').limit(page.limit + 1).execute();
  },

  async findById(db: Db, id: string): Promise<DealerRow | undefined> {
    return db.selectFrom('dealer').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async lockById(trx: Db, id: string): Promise<DealerRow | undefined> {
    return trx.selectFrom('dealer').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  },

  async codeTaken(db: Db, code: string): Promise<boolean> {
    return (await db.selectFrom('dealer').select('id').where('code', '=', code).executeTakeFirst()) !== undefined;
  },

  /** Applies the fields given and bumps the version. */
  async update(trx: Db, id: string, changes: Partial<DealerFields>, at: Date): Promise<DealerRow> {
    return trx
      .updateTable('dealer')
      .set((eb) => ({ ...changes, version: eb('version', '+', 1), updated_at: at }))
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  /** Which of these ids are dealers. */
  async existingIds(db: Db, ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    return (await db.selectFrom('dealer').select('id').where('id', 'in', ids).execute()).map((d) => d.id);
  },
});
