import type { ColumnType, Generated } from 'kysely';

export const QUOTA_DIMENSIONS = ['owner', 'team', 'dealer', 'productLine'] as const;
export type QuotaDimension = (typeof QUOTA_DIMENSIONS)[number];

export interface QuotaTables {
  /** A target per period (`2026-12` or `2026-Q4`) for one owner, team, dealer or product line, in the base currency. */
  quota: {
    id: string;
    period: string;
    dimension: QuotaDimension;
    target: string;
    amount: ColumnType<string, string, string>;
    version: Generated<number>;
    set_at: ColumnType<Date, Date | string, Date | string>;
    set_by: string;
  };
}
