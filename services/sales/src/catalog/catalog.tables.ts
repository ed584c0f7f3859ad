import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** numeric comes back as a string (exact); written as a decimal string. */
type Decimal = ColumnType<string, string, string>;
type Json<T> = ColumnType<T, string, string>;

export interface CatalogTables {
  product: {
    id: string;
    sku: string;
    name: string;
    category: string | null;
    product_line: string | null;
    unit: string;
    /** Currency → list price (decimal string). */
    list_prices: Json<Record<string, string>>;
    /** What one unit costs the company, for below-cost checks. */
    unit_cost: Decimal | null;
    cost_currency: string | null;
    active: boolean;
    version: Generated<number>;
    created_at: Timestamp;
    updated_at: Timestamp;
  };
  price_book: {
    id: string;
    name: string;
    kind: 'standard' | 'customer' | 'dealer';
    customer_id: string | null;
    dealer_id: string | null;
    currency: string;
    valid_from: ColumnType<string, string, string>;
    valid_to: ColumnType<string | null, string | null, string | null>;
    version: Generated<number>;
    created_at: Timestamp;
  };
  price_book_entry: { price_book_id: string; sku: string; min_quantity: Decimal; unit_price: Decimal };
}
