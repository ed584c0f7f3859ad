import { defineService } from '@crm/platform';
import { buildScoringService } from './app';
import { scoringConfigOf } from './config';

export { buildScoringService, type ScoringService, type ScoringServiceContext } from './app';
export { scoringConfigOf, scoringSettingsSchema, type ScoringConfig } from './config';
export { scoringMigrations, SCORING_SCHEMA } from './db/migrations';

export const scoringService = defineService({
  name: 'scoring',
  portEnv: 'SCORING_PORT',
  defaultPort: 8082,
  configOf: scoringConfigOf,
  start: buildScoringService,
});
