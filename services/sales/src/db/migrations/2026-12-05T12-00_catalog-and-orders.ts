import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

// Frozen: never edit after release; change the schema with a new migration.
export const catalogAndOrders: Migration = {
  async up(db: Kysely<any>) {
    await sql`create table sales.product (
      id uuid primary key,
      sku text not null unique,
      name text not null,
      category text,
      product_line text,
      unit text not null,
      list_prices jsonb not null default '{}',
      unit_cost numeric,
      cost_currency text,
      active boolean not null,
      version integer not null default 1,
      created_at timestamptz not null,
      updated_at timestamptz not null)`.execute(db);
    await sql`create table sales.price_book (
      id uuid primary key,
      name text not null,
      kind text not null check (kind in ('standard', 'customer', 'dealer')),
      customer_id uuid,
      dealer_id uuid,
      currency text not null,
      valid_from date not null,
      valid_to date,
      version integer not null default 1,
      created_at timestamptz not null,
      check ((kind = 'customer') = (customer_id is not null) and (kind = 'dealer') = (dealer_id is not null)),
      check (valid_to is null or valid_to >= valid_from))`.execute(db);
    await sql`create index price_book_target_idx on sales.price_book (currency, kind, customer_id, dealer_id)`.execute(db);
    await sql`create table sales.price_book_entry (
      price_book_id uuid not null references sales.price_book (id) on delete cascade,
      sku text not null,
      min_quantity numeric not null check (min_quantity > 0),
      unit_price numeric not null check (unit_price >= 0),
      primary key (price_book_id, sku, min_quantity))`.execute(db);
    await sql`create table sales.sales_order (
      id uuid primary key,
      customer_id uuid,
      dealer_id uuid,
      owner_subject text,
      currency text not null,
      status text not null check (status in ('placed', 'cancelled')),
      total numeric not null,
      placed_at timestamptz not null,
      placed_by text not null,
      cancelled_at timestamptz,
      cancel_reason text,
      version integer not null default 1)`.execute(db);
    await sql`create index sales_order_customer_idx on sales.sales_order (customer_id)`.execute(db);
    await sql`create index sales_order_dealer_idx on sales.sales_order (dealer_id, placed_at desc)`.execute(db);
    await sql`create index sales_order_owner_idx on sales.sales_order (owner_subject, placed_at desc)`.execute(db);
    await sql`create table sales.sales_order_line (
      order_id uuid not null references sales.sales_order (id) on delete cascade,
      line_no integer not null,
      sku text not null,
      category text,
      quantity numeric not null check (quantity > 0),
      unit_price numeric not null,
      discount_percent numeric not null default 0,
      amount numeric not null,
      price_rule text not null,
      returned_quantity numeric not null default 0 check (returned_quantity <= quantity),
      primary key (order_id, line_no))`.execute(db);
    await sql`create table sales.order_return (
      id uuid primary key,
      order_id uuid not null references sales.sales_order (id) on delete cascade,
      returned_at timestamptz not null,
      reason text,
      amount numeric not null)`.execute(db);
    await sql`create index order_return_order_idx on sales.order_return (order_id)`.execute(db);
    await sql`create table sales.order_return_line (
      return_id uuid not null references sales.order_return (id) on delete cascade,
      line_no integer not null,
      quantity numeric not null,
      amount numeric not null,
      primary key (return_id, line_no))`.execute(db);
  },
  async down(db: Kysely<any>) {
    for (const table of ['order_return_line', 'order_return', 'sales_order_line', 'sales_order', 'price_book_entry', 'price_book', 'product']) {
      await sql`drop table ${sql.table(`sales.${table}`)}`.execute(db);
    }
  },
};
