import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Decimal = ColumnType<string, string, string>;
type DateOnly = ColumnType<string, string, string>;
type Json<T> = ColumnType<T, string, string>;

/** One rate band: from this cumulative attainment in the period (plan currency) upwards, these rates (percent). */
export interface CommissionTier {
  fromAttainment: string;
  defaultRate: number;
  categoryRates: Record<string, number>;
}

/** A plan's pay per completed activity, in the plan's currency. */
export interface ActivityBonus {
  kinds: string[];
  perActivity: string;
}

export interface CommissionTables {
  commission_plan: {
    id: string;
    name: string;
    currency: string;
    tiers: Json<CommissionTier[]>;
    rep_split: Decimal;
    dealer_split: Decimal;
    reps: string[];
    dealers: string[];
    valid_from: DateOnly;
    valid_to: ColumnType<string | null, string | null, string | null>;
    /** Paid per completed activity of these kinds in the month (Dell rewarded reps for logging contacts). */
    activity_bonus: ColumnType<ActivityBonus | null, string | null, string | null>;
    version: Generated<number>;
    created_at: Timestamp;
    updated_at: Timestamp;
  };
  commission_line: {
    id: string;
    plan_id: string;
    payee_kind: 'rep' | 'dealer';
    payee: string;
    /** YYYY-MM in the sales time zone: the month of the order (accrual) or of the return (clawback). */
    period: string;
    booked_at: Timestamp;
    kind: 'accrual' | 'clawback';
    order_id: string;
    order_line_no: number;
    return_id: string | null;
    /** The accrual line a clawback takes back. */
    reverses: string | null;
    category: string | null;
    order_currency: string;
    /** The order line's net amount in the order's currency (negative: the returned part). */
    order_amount: Decimal;
    /** The commissionable amount in the plan's currency; null when it could not be converted. */
    base: Decimal | null;
    currency: string;
    tier: number;
    rate: Decimal;
    split_percent: Decimal;
    amount: Decimal | null;
    status: 'converted' | 'unconverted';
  };
}
