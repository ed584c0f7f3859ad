import { CurrencyCode } from '@crm/domain';
import { withServiceSettings, type BaseConfig } from '@crm/platform';
import { z } from 'zod';
import { scoreSettingsSchema } from './scores/score.settings';

/** Scoring's own settings, next to the base settings every service shares. */
export const scoringSettingsSchema = z.object({
  /** Scores are computed in this currency; others convert through /v1/exchange-rates. */
  SCORING_BASE_CURRENCY: CurrencyCode.default('CNY'),
  /** How far in the future a transaction's time may lie (senders' clocks drift). */
  SCORING_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
  /** Days a lower rule tier must hold before a customer is downgraded. */
  SCORING_TIER_GRACE_DAYS: z.coerce.number().int().min(0).max(3650).default(30),
  ...scoreSettingsSchema.shape,
});
export type ScoringSettings = z.infer<typeof scoringSettingsSchema>;
export type ScoringConfig = BaseConfig & ScoringSettings;

/** Scoring's settings, read once at boot from `env` (the host calls this through the service definition), joined to the base config. */
export function scoringConfigOf(config: BaseConfig, env: NodeJS.ProcessEnv): ScoringConfig {
  return withServiceSettings(config, scoringSettingsSchema, env);
}
