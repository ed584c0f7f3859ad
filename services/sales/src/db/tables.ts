import type { Kysely } from 'kysely';
import type { CustomerDirectoryTables } from '@crm/platform';
import type { CustomerTierTables } from '../customer-directory/customer-tier.tables';
import type { TeamTables } from '../teams/team.tables';
import type { CatalogTables } from '../catalog/catalog.tables';
import type { OrderTables } from '../orders/order.tables';
import type { PipelineFeatureTables } from '../opportunities/opportunity.tables';
import type { LeadTables } from '../leads/lead.tables';
import type { QuoteTables } from '../quotes/quote.tables';
import type { ActivityTables } from '../activities/activity.tables';
import type { CalendarTables } from '../calendars/calendar.tables';
import type { ExpenseTables } from '../expenses/expense.tables';
import type { CommissionTables } from '../commissions/commission.tables';

/** The sales schema: each feature declares its tables in its `*.tables.ts`; this joins them. */
export type SalesDatabase = CustomerDirectoryTables &
  CustomerTierTables &
  TeamTables &
  CatalogTables &
  OrderTables &
  PipelineFeatureTables &
  LeadTables &
  QuoteTables &
  ActivityTables &
  CalendarTables &
  ExpenseTables &
  CommissionTables;

/** The service's handle (or a transaction on it), narrowed to the sales schema. */
export type SalesDb = Kysely<SalesDatabase>;
