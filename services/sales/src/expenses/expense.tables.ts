import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Decimal = ColumnType<string, string, string>;

export type ExpenseClaimStatus = 'draft' | 'submitted' | 'approved' | 'rejected' | 'paid';
export type ExpenseCategory = 'travel' | 'meals' | 'lodging' | 'mileage' | 'entertainment' | 'other';

export interface ExpenseTables {
  expense_claim: {
    id: string;
    claimant_subject: string;
    title: string;
    status: ExpenseClaimStatus;
    submitted_at: Timestamp | null;
    decided_at: Timestamp | null;
    decided_by: string | null;
    decision_comment: string | null;
    paid_at: Timestamp | null;
    paid_by: string | null;
    created_at: Timestamp;
    updated_at: Timestamp;
    version: Generated<number>;
  };
  expense_item: {
    claim_id: string;
    line_no: number;
    /** A calendar date (YYYY-MM-DD). */
    spent_on: ColumnType<string, string, string>;
    category: ExpenseCategory;
    amount: Decimal;
    currency: string;
    description: string;
    receipt_ref: string | null;
  };
}
