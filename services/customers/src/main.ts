import { baseConfigSchema, createLogger, loadConfig, runServices } from '@crm/platform';
import { customersService } from './index';

const config = loadConfig(baseConfigSchema);
const logger = createLogger({ name: 'customers', level: config.LOG_LEVEL });
runServices([customersService], { config, logger }).catch((error: unknown) => {
  logger.fatal({ err: error }, 'customers failed to start');
  process.exit(1);
});
