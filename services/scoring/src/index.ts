import type { ServiceDefinition } from '@crm/platform';
import { buildScoringService } from './app';

export { buildScoringService } from './app';
export { scoringMigrations, SCORING_SCHEMA } from './db/migrations';

export const scoringService: ServiceDefinition = {
  name: 'scoring',
  portEnv: 'SCORING_PORT',
  defaultPort: 8082,
  start: buildScoringService,
};
