import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

export const SALES_CHANNELS = ['direct', 'dealer', 'agent', 'phone', 'web'] as const;
export type SalesChannel = (typeof SALES_CHANNELS)[number];
export type StageKind = 'open' | 'won' | 'lost';
/** `omitted` only for the lost stage: a lost deal counts in no category. */
export type ForecastCategory = 'pipeline' | 'best_case' | 'commit' | 'closed' | 'omitted';

export interface PipelineTables {
  pipeline: { id: string; name: string; channel: SalesChannel; is_default: boolean; version: Generated<number>; created_at: Timestamp; updated_at: Timestamp };
  pipeline_stage: { pipeline_id: string; key: string; name: string; position: number; kind: StageKind; probability: number; forecast_category: ForecastCategory };
}
