import { defineService, type ServiceContext } from '@crm/platform';
import { buildGateway, type Gateway } from './app';
import { DEV_ADMIN_API_KEY, DEV_JWT_SECRET, gatewayConfigOf, type GatewayConfig } from './config';

export { buildGateway, type Gateway, type GatewayDeps } from './app';
export { gatewayConfigSchema, gatewayConfigOf, type GatewayConfig } from './config';
export { gatewayMigrations, GATEWAY_SCHEMA } from './db/migrations';
export { UPSTREAMS, type UpstreamDefinition } from './proxy/upstreams';

let devKeyAnnounced = false;

/** Starts the gateway for a host (its own main or the suite): its settings, then the app. */
async function startGateway(context: ServiceContext<GatewayConfig>): Promise<Gateway> {
  const { config } = context;
  if (config.CRM_ADMIN_API_KEY === DEV_ADMIN_API_KEY) {
    context.logger.warn({ adminApiKey: DEV_ADMIN_API_KEY }, 'CRM_ADMIN_API_KEY is the development default');
    if (!devKeyAnnounced) {
      devKeyAnnounced = true;
      process.stdout.write(`\nDevelopment admin API key (set CRM_ADMIN_API_KEY to replace it): send 'Authorization: Bearer ${DEV_ADMIN_API_KEY}'\n\n`);
    }
  }
  return buildGateway(context);
}

export const gatewayService = defineService({
  name: 'gateway',
  portEnv: 'PORT',
  defaultPort: 8080,
  configOf: gatewayConfigOf,
  developmentSecrets: (config) => {
    return [
      ...(config.CRM_JWT_SECRET === DEV_JWT_SECRET ? ['CRM_JWT_SECRET'] : []),
      ...(config.CRM_ADMIN_API_KEY === DEV_ADMIN_API_KEY ? ['CRM_ADMIN_API_KEY'] : []),
    ];
  },
  start: startGateway,
});
