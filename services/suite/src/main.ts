import { customersService } from '@crm/customers';
import { gatewayService, UPSTREAMS } from '@crm/gateway';
import { scoringService, scoringSettingsSchema } from '@crm/scoring';
import { baseConfigSchema, runMain } from '@crm/platform';

/**
 * The whole suite in one process. Without DATABASE_URL / KAFKA_BROKERS it is fully embedded:
 * PGlite under DATA_DIR and events handed over in process through the same outbox relay.
 */
const services = [customersService, scoringService, gatewayService];

// In one process the gateway finds each upstream on this host, at the port that upstream listens on
// (CUSTOMERS_PORT alone moves both ends); an explicit CUSTOMERS_URL still wins.
for (const upstream of UPSTREAMS) {
  const port = process.env[services.find((service) => service.name === upstream.name)?.portEnv ?? ''];
  if (port !== undefined && process.env[upstream.urlEnv] === undefined) process.env[upstream.urlEnv] = `http://127.0.0.1:${port}`;
}

// Parsed once, here: the base settings and scoring's own (the service reads no environment itself).
runMain('crm', services, baseConfigSchema.and(scoringSettingsSchema));
