import type { ServiceDefinition } from '@crm/platform';
import { buildScoringService } from './app';
import { scoringConfigOf } from './config';

export { buildScoringService, type ScoringService, type ScoringServiceContext } from './app';
export { scoringConfigOf, scoringConfigSchema, scoringSettingsSchema, type ScoringConfig } from './config';
export { scoringMigrations, SCORING_SCHEMA } from './db/migrations';

export const scoringService: ServiceDefinition = {
  name: 'scoring',
  portEnv: 'SCORING_PORT',
  defaultPort: 8082,
  // Scoring's settings come with the config the host parsed (scoringConfigSchema); defaults where it had none.
  start: (context) => buildScoringService({ ...context, config: scoringConfigOf(context.config) }),
};
