import type { ColumnType, Generated } from 'kysely';
import type { ExchangeRateTables } from '../exchange-rates/exchange-rate.tables';
import type { ForecastTables } from '../forecasts/forecast.tables';
import type { PipelineTables } from '../pipelines/pipeline.tables';
import type { QuotaTables } from '../quotas/quota.tables';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Decimal = ColumnType<string, string, string>;
/** A calendar date, read as its YYYY-MM-DD text (the pg date parser is told not to make a Date of it). */
type CalendarDate = ColumnType<string, string, string>;

export type OpportunityStatus = 'open' | 'won' | 'lost';
export const BUYING_ROLES = ['decision_maker', 'influencer', 'purchaser', 'user', 'approver'] as const;
export type BuyingRole = (typeof BUYING_ROLES)[number];

export interface OpportunityTables {
  opportunity: {
    id: string;
    customer_id: string;
    name: string;
    pipeline_id: string;
    stage_key: string;
    status: OpportunityStatus;
    /** The stage's default probability and category, copied when the stage is entered. */
    probability: number;
    forecast_category: string;
    amount: Decimal | null;
    currency: string | null;
    /** The expected close date while open; the day it was won or lost afterwards (forecast periods use it). */
    close_date: CalendarDate;
    owner_subject: string | null;
    dealer_id: string | null;
    product_line: string | null;
    lead_id: string | null;
    close_reason: string | null;
    competitor: string | null;
    closed_at: Timestamp | null;
    created_at: Timestamp;
    created_by: string;
    updated_at: Timestamp;
    version: Generated<number>;
  };
  opportunity_stage_change: { id: string; opportunity_id: string; from_stage: string | null; to_stage: string; changed_by: string; changed_at: Timestamp };
  opportunity_contact: { opportunity_id: string; contact_id: string; role: BuyingRole };
}

/** Every table of exchange rates, pipelines, opportunities, quotas and forecasts (joined into SalesDatabase). */
export type PipelineFeatureTables = ExchangeRateTables & PipelineTables & OpportunityTables & QuotaTables & ForecastTables;
