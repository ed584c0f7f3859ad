import { customerDirectoryMigration, outboxLeaseMigration, platformTablesMigration, type ServiceMigrations } from '@crm/platform';
import { teamsAndTiers } from './2026-12-05T10-00_teams-and-tiers';
import { catalogAndOrders } from './2026-12-05T12-00_catalog-and-orders';
import { quotes } from './2026-12-06T12-00_quotes';
import { commissions } from './2026-12-06T12-30_commissions';

export const SALES_SCHEMA = 'sales';

/** In order of their names; each feature adds its own (frozen once released). */
export const salesMigrations: ServiceMigrations = {
  schema: SALES_SCHEMA,
  migrations: {
    '2026-12-05T00-00_platform': platformTablesMigration,
    '2026-12-05T00-01_outbox-lease': outboxLeaseMigration,
    '2026-12-05T00-02_customer-directory': customerDirectoryMigration,
    '2026-12-05T10-00_teams-and-tiers': teamsAndTiers,
    '2026-12-05T12-00_catalog-and-orders': catalogAndOrders,
    '2026-12-06T12-00_quotes': quotes,
    '2026-12-06T12-30_commissions': commissions,
  },
};
