import { CurrencyCode } from '@crm/domain';
import { withServiceSettings, type BaseConfig } from '@crm/platform';
import { z } from 'zod';
import { scoreSettingsSchema } from './domain/scores/score.settings';

const scoringSettingsSchema = z.object({
  /** Scores are computed in this currency; others convert through /v1/exchange-rates. */
  SCORING_BASE_CURRENCY: CurrencyCode.default('CNY'),
  /** How far in the future a transaction's time may lie (senders' clocks drift). */
  SCORING_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
  /** Days a lower rule tier must hold before a customer is downgraded. */
  SCORING_TIER_GRACE_DAYS: z.coerce.number().int().min(0).max(3650).default(30),
  ...scoreSettingsSchema.shape,
});
export type ScoringConfig = BaseConfig & z.infer<typeof scoringSettingsSchema>;

/** The scoring settings, read from the environment, joined to the base config its host loaded. */
export function scoringConfigOf(config: BaseConfig, env: NodeJS.ProcessEnv = process.env): ScoringConfig {
  return withServiceSettings(config, scoringSettingsSchema, env);
}
