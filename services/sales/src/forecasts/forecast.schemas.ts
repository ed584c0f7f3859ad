import { z } from 'zod';
import { Period } from './period';

export const GroupBy = z.enum(['owner', 'team', 'dealer', 'productLine']).describe('The rep (owner subject), its team(s), the dealer or the product line');

export const ForecastQuery = z.object({
  period: Period,
  groupBy: GroupBy.default('owner'),
  asOf: z.iso.date().optional().describe('Answer from the latest snapshot of the period taken for this day or before (404 when there is none)'),
});
export type ForecastQuery = z.infer<typeof ForecastQuery>;

export const ForecastCompareQuery = z.object({ period: Period, groupBy: GroupBy.default('owner'), asOf: z.iso.date().describe('The snapshot day to compare now with') });
export type ForecastCompareQuery = z.infer<typeof ForecastCompareQuery>;

const Amount = z.string().describe('In the base currency, rounded to it');

export const ForecastGroup = z
  .object({
    key: z.string().nullable().describe('The owner subject, team id, dealer id or product line; null: opportunities without one'),
    weighted: Amount.describe('Σ amount in base × probability of the open opportunities'),
    pipeline: Amount,
    bestCase: Amount,
    commit: Amount,
    won: Amount.describe('The `closed` category: won in the period'),
    openOpportunities: z.number().int(),
    wonOpportunities: z.number().int(),
    unconverted: z.number().int().describe('Opportunities left out of the sums: no exchange rate into the base currency is known for their currency'),
    quota: Amount.nullable(),
    attainment: z.string().nullable().describe('won ÷ quota in percent, 2 decimals; null without a (non-zero) quota'),
  })
  .meta({ id: 'ForecastGroup' });
export type ForecastGroup = z.infer<typeof ForecastGroup>;

export const Forecast = z
  .object({
    period: z.string(),
    from: z.iso.date(),
    to: z.iso.date(),
    groupBy: GroupBy,
    currency: z.string(),
    snapshot: z.object({ id: z.uuid(), kind: z.enum(['manual', 'weekly']), asOf: z.iso.date(), takenAt: z.iso.datetime() }).nullable().describe('The snapshot answered from; null: live'),
    groups: z.array(ForecastGroup),
  })
  .meta({ id: 'Forecast' });
export type Forecast = z.infer<typeof Forecast>;

const Delta = z.object({ weighted: Amount, commit: Amount, won: Amount });
export const ForecastComparison = z
  .object({
    period: z.string(),
    groupBy: GroupBy,
    currency: z.string(),
    then: Forecast.shape.snapshot,
    groups: z.array(z.object({ key: z.string().nullable(), now: ForecastGroup.nullable(), then: ForecastGroup.nullable(), change: Delta.describe('now − then') })),
  })
  .meta({ id: 'ForecastComparison' });
export type ForecastComparison = z.infer<typeof ForecastComparison>;

export const NewSnapshot = z.strictObject({ period: Period }).meta({ id: 'NewForecastSnapshot' });
export const ForecastSnapshot = z
  .object({ id: z.uuid(), period: z.string(), kind: z.enum(['manual', 'weekly']), asOf: z.iso.date(), takenAt: z.iso.datetime(), takenBy: z.string() })
  .meta({ id: 'ForecastSnapshot' });
export type ForecastSnapshot = z.infer<typeof ForecastSnapshot>;
