import { customersService } from '@crm/customers';
import { gatewayService, UPSTREAMS } from '@crm/gateway';
import { salesService } from '@crm/sales';
import { scoringService } from '@crm/scoring';
import { baseConfigSchema, runMain } from '@crm/platform';

/**
 * The whole suite in one process. Without DATABASE_URL / KAFKA_BROKERS it is fully embedded:
 * PGlite under DATA_DIR and events handed over in process through the same outbox relay.
 */
const services = [customersService, scoringService, salesService, gatewayService];

// In one process the gateway finds each upstream on this host, at the port that upstream listens on
// (CUSTOMERS_PORT alone moves both ends); an explicit CUSTOMERS_URL still wins.
for (const upstream of UPSTREAMS) {
  const port = process.env[services.find((service) => service.name === upstream.name)?.portEnv ?? ''];
  if (port !== undefined && process.env[upstream.urlEnv] === undefined) process.env[upstream.urlEnv] = `http://127.0.0.1:${port}`;
}

// Parsed once, at boot: the base settings here, each service's own through its definition's configOf.
runMain('crm', services, baseConfigSchema);
