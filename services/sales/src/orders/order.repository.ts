import { sql, type Insertable, type Selectable } from 'kysely';
import type { SalesDb } from '../db/tables';
import type { SalesScope } from '../ownership/ownership';
import { inScopeWhere } from '../ownership/ownership.repository';
import type { OrderTables } from './order.tables';

export type OrderRow = Selectable<OrderTables['sales_order']>;
export type OrderLineRow = Selectable<OrderTables['sales_order_line']>;
export type ReturnRow = Selectable<OrderTables['order_return']>;
export type ReturnLineRow = Selectable<OrderTables['order_return_line']>;

const OWNERSHIP = { owner: 'sales_order.owner_subject', dealer: 'sales_order.dealer_id', customer: 'sales_order.customer_id' };

export const orderRepository = Object.freeze({
  async insert(db: SalesDb, order: Insertable<OrderTables['sales_order']>, lines: OrderLineRow[]) {
    const row = await db.insertInto('sales_order').values(order).returningAll().executeTakeFirstOrThrow();
    await db.insertInto('sales_order_line').values(lines).execute();
    return row;
  },

  async find(db: SalesDb, id: string, options: { forUpdate?: boolean } = {}) {
    let query = db.selectFrom('sales_order').selectAll().where('id', '=', id);
    if (options.forUpdate) query = query.forUpdate();
    return query.executeTakeFirst();
  },

  async list(db: SalesDb, scope: SalesScope, filter: { customerId?: string; status?: string; before?: { at: Date; id: string }; limit: number }) {
    let query = db.selectFrom('sales_order').selectAll().where(inScopeWhere(scope, OWNERSHIP));
    if (filter.customerId) query = query.where('customer_id', '=', filter.customerId);
    if (filter.status) query = query.where('status', '=', filter.status as OrderRow['status']);
    if (filter.before) query = query.where(sql<boolean>`(placed_at, id) < (${filter.before.at}::timestamptz, ${filter.before.id}::uuid)`);
    return query.orderBy('placed_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
  },

  async linesOf(db: SalesDb, orderIds: readonly string[]) {
    if (orderIds.length === 0) return [];
    return db.selectFrom('sales_order_line').selectAll().where('order_id', 'in', [...orderIds]).orderBy('order_id').orderBy('line_no').execute();
  },

  async returnsOf(db: SalesDb, orderIds: readonly string[]) {
    if (orderIds.length === 0) return { returns: [], lines: [] };
    const returns = await db.selectFrom('order_return').selectAll().where('order_id', 'in', [...orderIds]).orderBy('returned_at').execute();
    const lines = returns.length === 0 ? [] : await db.selectFrom('order_return_line').selectAll().where('return_id', 'in', returns.map((r) => r.id)).orderBy('line_no').execute();
    return { returns, lines };
  },

  async cancel(db: SalesDb, id: string, at: Date, reason: string) {
    return db
      .updateTable('sales_order')
      .set((eb) => ({ status: 'cancelled' as const, cancelled_at: at, cancel_reason: reason, version: eb('version', '+', 1) }))
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  async insertReturn(db: SalesDb, row: Insertable<OrderTables['order_return']>, lines: ReturnLineRow[]) {
    await db.insertInto('order_return').values(row).execute();
    await db.insertInto('order_return_line').values(lines).execute();
    // One statement for every returned line.
    await sql`
      update sales.sales_order_line l set returned_quantity = l.returned_quantity + r.quantity
      from jsonb_to_recordset(${JSON.stringify(lines)}::jsonb) as r(line_no integer, quantity numeric)
      where l.order_id = ${row.order_id}::uuid and l.line_no = r.line_no`.execute(db);
    await db.updateTable('sales_order').set((eb) => ({ version: eb('version', '+', 1) })).where('id', '=', row.order_id).execute();
  },

  async moveCustomer(db: SalesDb, from: string, to: string) {
    await db.updateTable('sales_order').set({ customer_id: to }).where('customer_id', '=', from).execute();
  },

  /** Orders stay as anonymous figures: the link to the person goes, and with it any free text. */
  async unlinkCustomers(db: SalesDb, ids: readonly string[]) {
    if (ids.length === 0) return;
    const orders = await db.updateTable('sales_order').set({ customer_id: null, cancel_reason: null }).where('customer_id', 'in', [...ids]).returning('id').execute();
    if (orders.length > 0) await db.updateTable('order_return').set({ reason: null }).where('order_id', 'in', orders.map((o) => o.id)).execute();
  },

  async ofCustomers(db: SalesDb, ids: readonly string[]) {
    if (ids.length === 0) return [];
    return db.selectFrom('sales_order').selectAll().where('customer_id', 'in', [...ids]).orderBy('placed_at').execute();
  },
});
