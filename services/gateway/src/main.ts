import { ConfigError, createLogger, loadConfig, runServices } from '@crm/platform';
import { gatewayConfigSchema } from './config';
import { gatewayService } from './index';

function configOrExit() {
  try {
    return loadConfig(gatewayConfigSchema);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`gateway: ${error.message}\n`);
    process.exit(1);
  }
}

const config = configOrExit();
const logger = createLogger({ name: 'gateway', level: config.LOG_LEVEL });
runServices([gatewayService], { config, logger }).catch((error: unknown) => {
  logger.fatal({ err: error }, 'gateway failed to start');
  process.exit(1);
});
