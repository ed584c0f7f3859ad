import type { ColumnType } from 'kysely';

export interface ForecastTables {
  forecast_snapshot: { id: string; period: string; kind: 'manual' | 'weekly'; as_of: ColumnType<string, string, string>; taken_at: ColumnType<Date, Date | string, Date | string>; taken_by: string };
  /** The forecast's finest cells at the time, in the base currency (`amount`, `weighted` unrounded). */
  forecast_snapshot_cell: {
    snapshot_id: string;
    owner_subject: string | null;
    dealer_id: string | null;
    product_line: string | null;
    status: string;
    forecast_category: string;
    amount: ColumnType<string, string, string>;
    weighted: ColumnType<string, string, string>;
    opportunities: number;
    unconverted: number;
  };
}
