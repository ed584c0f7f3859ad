import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { SalesDb } from '../db/tables';
import type { CatalogTables } from './catalog.tables';

export type ProductRow = Selectable<CatalogTables['product']>;
export type PriceBookRow = Selectable<CatalogTables['price_book']>;
export type PriceBookEntryRow = Selectable<CatalogTables['price_book_entry']>;

/** Which books a caller may list: all, one dealer's, or one organisation's. */
export type BookScope = { kind: 'all' } | { kind: 'dealer'; dealerId: string } | { kind: 'customer'; customerId: string };

export const catalogRepository = Object.freeze({
  /** The new product, or undefined when the sku is taken. */
  async insertProduct(db: SalesDb, row: Insertable<CatalogTables['product']>) {
    return db.insertInto('product').values(row).onConflict((oc) => oc.column('sku').doNothing()).returningAll().executeTakeFirst();
  },

  async findProduct(db: SalesDb, id: string, options: { forUpdate?: boolean } = {}) {
    let query = db.selectFrom('product').selectAll().where('id', '=', id);
    if (options.forUpdate) query = query.forUpdate();
    return query.executeTakeFirst();
  },

  async productsBySku(db: SalesDb, skus: readonly string[]) {
    if (skus.length === 0) return [];
    return db.selectFrom('product').selectAll().where('sku', 'in', [...skus]).execute();
  },

  async listProducts(db: SalesDb, filter: { after?: string; limit: number; active?: boolean; category?: string }) {
    let query = db.selectFrom('product').selectAll().orderBy('sku').limit(filter.limit);
    if (filter.after) query = query.where('sku', '>', filter.after);
    if (filter.active !== undefined) query = query.where('active', '=', filter.active);
    if (filter.category) query = query.where('category', '=', filter.category);
    return query.execute();
  },

  async updateProduct(db: SalesDb, id: string, row: Updateable<CatalogTables['product']>) {
    return db
      .updateTable('product')
      .set((eb) => ({ ...row, version: eb('version', '+', 1) }))
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  /** Books of the same kind, target and currency whose validity overlaps [from, to] (to null: open-ended). */
  async overlappingBooks(db: SalesDb, book: { kind: string; customerId: string | null; dealerId: string | null; currency: string; validFrom: string; validTo: string | null }) {
    return db
      .selectFrom('price_book')
      .select(['id', 'name', 'valid_from', 'valid_to'])
      .where('kind', '=', book.kind as PriceBookRow['kind'])
      .where('currency', '=', book.currency)
      .where(sql<boolean>`customer_id is not distinct from ${book.customerId}::uuid and dealer_id is not distinct from ${book.dealerId}::uuid`)
      .where(sql<boolean>`daterange(valid_from, valid_to, '[]') && daterange(${book.validFrom}::date, ${book.validTo}::date, '[]')`)
      .execute();
  },

  async insertBook(db: SalesDb, book: Insertable<CatalogTables['price_book']>, entries: PriceBookEntryRow[]) {
    const row = await db.insertInto('price_book').values(book).returningAll().executeTakeFirstOrThrow();
    if (entries.length > 0) await db.insertInto('price_book_entry').values(entries).execute();
    return row;
  },

  async findBook(db: SalesDb, id: string) {
    return db.selectFrom('price_book').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async listBooks(db: SalesDb, scope: BookScope, page: { after?: string; limit: number }) {
    let query = db.selectFrom('price_book').selectAll().orderBy('id').limit(page.limit);
    if (scope.kind === 'dealer') query = query.where('dealer_id', '=', scope.dealerId);
    if (scope.kind === 'customer') query = query.where('customer_id', '=', scope.customerId);
    if (page.after) query = query.where('id', '>', page.after);
    return query.execute();
  },

  async entriesOf(db: SalesDb, bookIds: readonly string[], skus?: readonly string[]) {
    if (bookIds.length === 0) return [];
    let query = db.selectFrom('price_book_entry').selectAll().where('price_book_id', 'in', [...bookIds]);
    if (skus) query = skus.length === 0 ? query.where(sql<boolean>`false`) : query.where('sku', 'in', [...skus]);
    return query.orderBy('sku').orderBy('min_quantity').execute();
  },

  /** The books that may price a sale on `date`: the customer's, the dealer's and the standard one, in that currency. */
  async applicableBooks(db: SalesDb, at: { customerId?: string; dealerId?: string; currency: string; date: string }) {
    return db
      .selectFrom('price_book')
      .selectAll()
      .where('currency', '=', at.currency)
      .where('valid_from', '<=', at.date)
      .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>=', at.date)]))
      .where((eb) =>
        eb.or([
          eb('kind', '=', 'standard'),
          ...(at.customerId ? [eb.and([eb('kind', '=', 'customer'), eb('customer_id', '=', at.customerId)])] : []),
          ...(at.dealerId ? [eb.and([eb('kind', '=', 'dealer'), eb('dealer_id', '=', at.dealerId)])] : []),
        ]),
      )
      .execute();
  },
});
