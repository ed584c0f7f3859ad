import { baseConfigSchema, createLogger, loadConfig, runServices } from '@crm/platform';
import { scoringService } from './index';

const config = loadConfig(baseConfigSchema);
const logger = createLogger({ name: 'scoring', level: config.LOG_LEVEL });
runServices([scoringService], { config, logger }).catch((error: unknown) => {
  logger.fatal({ err: error }, 'scoring failed to start');
  process.exit(1);
});
