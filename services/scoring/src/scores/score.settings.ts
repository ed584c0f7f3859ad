import { z } from 'zod';

/** Settings of the scoring pipeline; part of the service config (config.ts). */
export const scoreSettingsSchema = z.object({
  /** RFM looks back this many days from the scoring time. */
  SCORING_RFM_WINDOW_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
  /** Value above which a customer is "high value" in the differentiation matrix; unset: the median of the base. */
  SCORING_VALUE_THRESHOLD: z.coerce.number().min(0).optional(),
  /** needs_diversity above which a customer's needs are "high" (differentiated). */
  SCORING_NEEDS_THRESHOLD: z.coerce.number().min(0).max(1).default(0.5),
  /** How far ahead CLV and expected transactions look, in days (converted to the model's time unit). */
  SCORING_CLV_HORIZON_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
  /** Discount rate per discounting period of CLV. */
  SCORING_CLV_DISCOUNT_RATE: z.coerce.number().min(0).max(1).default(0.01),
  /** Length of one discounting period in days (30: the rate is monthly). */
  SCORING_CLV_PERIOD_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  /** When the nightly full run starts (cron syntax, server time zone). */
  SCORING_NIGHTLY_CRON: z.string().min(9).default('0 2 * * *'),
  /** How often a running scoring run or ingest job shows it is alive. */
  SCORING_HEARTBEAT_SECONDS: z.coerce.number().min(0.1).max(3600).default(10),
  /** A run or ingest job `running` without a heartbeat for this long is marked `interrupted` (its process died). */
  SCORING_INTERRUPTED_AFTER_SECONDS: z.coerce.number().min(1).max(86_400).default(90),
});
export type ScoreSettings = z.infer<typeof scoreSettingsSchema>;
