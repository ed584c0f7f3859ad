import { outboxLeaseMigration, platformTablesMigration, type ServiceMigrations } from '@crm/platform';
import { customersSchema } from './2026-11-23T10-00_customers';
import { externalIdNamespaces } from './2026-11-29T13-00_external-id-namespaces';
import { timelineMentions } from './2026-11-29T14-00_timeline-mentions';

export const CUSTOMERS_SCHEMA = 'customers';

export const customersMigrations: ServiceMigrations = {
  schema: CUSTOMERS_SCHEMA,
  migrations: {
    '2026-11-23T00-00_platform': platformTablesMigration,
    '2026-11-23T10-00_customers': customersSchema,
    '2026-11-29T13-00_external-id-namespaces': externalIdNamespaces,
    '2026-11-29T14-00_timeline-mentions': timelineMentions,
    '2026-11-29T15-00_outbox-lease': outboxLeaseMigration,
  },
};
