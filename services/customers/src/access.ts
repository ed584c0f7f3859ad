import type { AccessRule } from '@crm/platform';

/**
 * Who may call each route (declared as `config: { access }`). Dealers and integrations read and write
 * customers (dealers only their own: the row scope in customers/customer.visibility.ts); the rest is
 * staff work.
 */
export const access = {
  read: { action: 'read customers', staff: ['admin', 'sales', 'sales-manager', 'finance', 'agent', 'marketing', 'analyst'], dealer: true, integration: true },
  write: { action: 'write customers', staff: ['admin', 'sales', 'sales-manager', 'agent', 'marketing'], dealer: true, integration: true },
  merge: { action: 'merge customers', staff: ['admin', 'sales', 'sales-manager', 'agent'], dealer: false, integration: false },
  erase: { action: 'erase customers', staff: ['admin'], dealer: false, integration: false },
  administer: { action: 'administer dealers and attribute definitions', staff: ['admin'], dealer: false, integration: false },
} as const satisfies Record<string, AccessRule>;
