import type { Kysely } from 'kysely';
import type { CustomerDirectoryTables } from '@crm/platform';
import type { CustomerTierTables } from '../customer-directory/customer-tier.tables';
import type { TeamTables } from '../teams/team.tables';
import type { CatalogTables } from '../catalog/catalog.tables';
import type { OrderTables } from '../orders/order.tables';
import type { QuoteTables } from '../quotes/quote.tables';
import type { CommissionTables } from '../commissions/commission.tables';

/** The sales schema: each feature declares its tables in its `*.tables.ts`; this joins them. */
export type SalesDatabase = CustomerDirectoryTables & CustomerTierTables & TeamTables & CatalogTables & OrderTables & QuoteTables & CommissionTables;

/** The service's handle (or a transaction on it), narrowed to the sales schema. */
export type SalesDb = Kysely<SalesDatabase>;
