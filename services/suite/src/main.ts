import { customersService } from '@crm/customers';
import { gatewayService } from '@crm/gateway';
import { scoringService } from '@crm/scoring';
import { baseConfigSchema, runMain } from '@crm/platform';

/**
 * The whole suite in one process. Without DATABASE_URL / KAFKA_BROKERS it is fully embedded:
 * PGlite under DATA_DIR and events handed over in process through the same outbox relay.
 */
runMain('crm', [customersService, scoringService, gatewayService], baseConfigSchema);
