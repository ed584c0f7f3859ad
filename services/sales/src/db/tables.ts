import type { Kysely } from 'kysely';
import type { CustomerDirectoryTables } from '@crm/platform';
import type { CustomerTierTables } from '../customer-directory/customer-tier.tables';
import type { TeamTables } from '../teams/team.tables';

/** The sales schema: each feature declares its tables in its `*.tables.ts`; this joins them. */
export type SalesDatabase = CustomerDirectoryTables & CustomerTierTables & TeamTables;

/** The service's handle (or a transaction on it), narrowed to the sales schema. */
export type SalesDb = Kysely<SalesDatabase>;
