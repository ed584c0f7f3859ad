import { platformTablesMigration, type ServiceMigrations } from '@crm/platform';
import { apiClientMigration } from './2026-11-23T10-00_api-client';

export const GATEWAY_SCHEMA = 'gateway';

export const gatewayMigrations: ServiceMigrations = {
  schema: GATEWAY_SCHEMA,
  migrations: {
    '2026-11-23T00-00_platform': platformTablesMigration,
    '2026-11-23T10-00_api-client': apiClientMigration,
  },
};
