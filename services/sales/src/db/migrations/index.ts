import { customerDirectoryMigration, outboxLeaseMigration, platformTablesMigration, type ServiceMigrations } from '@crm/platform';
import { teamsAndTiers } from './2026-12-05T10-00_teams-and-tiers';
import { catalogAndOrders } from './2026-12-05T12-00_catalog-and-orders';
import { opportunities } from './2026-12-06T11-00_opportunities';
import { leads } from './2026-12-06T10-00_leads';
import { quotes } from './2026-12-06T12-00_quotes';
import { activitiesCalendarsExpenses } from './2026-12-06T13-00_activities';
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
    '2026-12-06T11-00_opportunities': opportunities,
    '2026-12-06T10-00_leads': leads,
    '2026-12-06T12-00_quotes': quotes,
    '2026-12-06T13-00_activities': activitiesCalendarsExpenses,
    '2026-12-06T12-30_commissions': commissions,
  },
};
