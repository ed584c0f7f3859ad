import type { Principal, StaffRole } from '@crm/domain';
import { problem, Problems } from '@crm/platform';

/** The dealer a principal is confined to, or undefined when it sees every customer. */
export function dealerScope(principal: Principal): string | undefined {
  return principal.kind === 'dealer' ? principal.dealerId : undefined;
}

export type Action = 'read' | 'write' | 'merge' | 'erase' | 'administer';

const staffRolesFor: Record<Action, readonly StaffRole[]> = {
  read: ['admin', 'sales', 'agent', 'marketing', 'analyst'],
  write: ['admin', 'sales', 'agent', 'marketing'],
  merge: ['admin', 'sales', 'agent'],
  erase: ['admin'],
  administer: ['admin'],
};

/** Dealers and integrations read and write customers (dealers only their own); the rest is staff work. */
export function authorize(principal: Principal, action: Action): void {
  const allowed = (() => {
    switch (principal.kind) {
      case 'staff':
        return principal.roles.some((role) => staffRolesFor[action].includes(role));
      case 'dealer':
      case 'integration':
        return action === 'read' || action === 'write';
    }
  })();
  if (!allowed) throw problem(Problems.forbidden, `a ${principal.kind} principal may not ${action} here`);
}
