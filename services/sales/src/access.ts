import type { AccessRule } from '@crm/platform';

/**
 * The building blocks of the sales service's access rules; each feature declares its routes' rules in
 * its `*.access.ts` from these. Which rows a caller then sees is its scope (ownership/).
 */
export const SALES_STAFF = ['admin', 'sales', 'sales-manager'] as const;
/** Staff who read sales figures without owning deals. */
export const SALES_READERS = ['admin', 'sales', 'sales-manager', 'finance', 'analyst'] as const;

/** Admin-managed settings: teams, rules, plans. */
export const administer: AccessRule = { action: 'administer sales settings', staff: ['admin'], dealer: false, integration: false };
