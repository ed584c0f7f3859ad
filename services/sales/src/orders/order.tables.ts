import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Decimal = ColumnType<string, string, string>;

export interface OrderTables {
  sales_order: {
    id: string;
    /** Null once the customer was erased: the order stays as the company's figure, anonymous. */
    customer_id: string | null;
    dealer_id: string | null;
    owner_subject: string | null;
    currency: string;
    status: 'placed' | 'cancelled';
    total: Decimal;
    placed_at: Timestamp;
    placed_by: string;
    cancelled_at: Timestamp | null;
    cancel_reason: string | null;
    version: Generated<number>;
  };
  sales_order_line: {
    order_id: string;
    line_no: number;
    sku: string;
    category: string | null;
    quantity: Decimal;
    unit_price: Decimal;
    discount_percent: Decimal;
    amount: Decimal;
    price_rule: string;
    returned_quantity: Decimal;
  };
  order_return: { id: string; order_id: string; returned_at: Timestamp; reason: string | null; amount: Decimal };
  order_return_line: { return_id: string; line_no: number; quantity: Decimal; amount: Decimal };
}
