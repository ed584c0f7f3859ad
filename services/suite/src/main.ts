import { customersService } from '@crm/customers';
import { gatewayService } from '@crm/gateway';
import { scoringService } from '@crm/scoring';
import { baseConfigSchema, createLogger, loadConfig, runServices } from '@crm/platform';

/**
 * The whole suite in one process. Without DATABASE_URL / KAFKA_BROKERS it is fully embedded:
 * PGlite under DATA_DIR and events handed over in process through the same outbox relay.
 */
const config = loadConfig(baseConfigSchema);
const logger = createLogger({ name: 'crm', level: config.LOG_LEVEL });
runServices([customersService, scoringService, gatewayService], { config, logger }).catch((error: unknown) => {
  logger.fatal({ err: error }, 'the suite failed to start');
  process.exit(1);
});
