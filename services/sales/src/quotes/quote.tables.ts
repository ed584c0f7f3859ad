import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Decimal = ColumnType<string, string, string>;
type DateOnly = ColumnType<string, string, string>;
type Json<T> = ColumnType<T, string, string>;

/** One priced line of a quote version, as the catalogue priced it when the version was made. */
export interface QuoteLineRecord {
  lineNo: number;
  sku: string;
  category: string | null;
  quantity: number;
  unitPrice: string;
  listPrice: string | null;
  discountPercent: number;
  /** quantity × unit price − line discount, rounded to the currency. */
  amount: string;
  priceRule: string;
  /** The product's unit cost when it is in the quote's currency (below-cost checks), else null. */
  unitCost: string | null;
}

/** The conditions of an approval rule; all that are set must hold. */
export interface ApprovalConditions {
  discountPercentAbove?: number;
  totalAbove?: { amount: string; currency: string }[];
  belowCost?: boolean;
}

export interface QuoteTables {
  quote: {
    id: string;
    customer_id: string;
    dealer_id: string | null;
    owner_subject: string | null;
    created_by: string;
    currency: string;
    status: 'draft' | 'pending_approval' | 'approved' | 'sent' | 'accepted' | 'rejected' | 'expired' | 'ordered';
    current_version: number;
    valid_until: DateOnly;
    total: Decimal;
    approval_rule_id: string | null;
    approval_chain: string[];
    approval_step: number;
    approval_reason: string | null;
    submitted_by: string | null;
    submitted_at: Timestamp | null;
    order_id: string | null;
    version: Generated<number>;
    created_at: Timestamp;
    updated_at: Timestamp;
  };
  quote_version: {
    quote_id: string;
    version: number;
    valid_until: DateOnly;
    tax_percent: Decimal;
    header_discount_percent: Decimal;
    lines: Json<QuoteLineRecord[]>;
    subtotal: Decimal;
    discount: Decimal;
    tax: Decimal;
    total: Decimal;
    created_by: string;
    created_at: Timestamp;
  };
  quote_approval: {
    id: string;
    quote_id: string;
    quote_version: number;
    step: number;
    role: string;
    decision: 'approve' | 'reject';
    comment: string | null;
    decided_by: string;
    decided_at: Timestamp;
  };
  quote_approval_rule: {
    id: string;
    name: string;
    position: number;
    conditions: Json<ApprovalConditions>;
    chain: string[];
    active: boolean;
    version: Generated<number>;
    created_at: Timestamp;
    updated_at: Timestamp;
  };
  customer_approval_policy: {
    customer_id: string;
    account_approval_above: Decimal | null;
    currency: string | null;
    updated_at: Timestamp;
  };
}
