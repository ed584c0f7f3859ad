import type { Principal, StaffRole } from '@crm/domain';
import { problem, Problems } from './problems';

/** Who may do one thing: staff with one of these roles, and whether dealers and integrations may. */
export interface AccessRule {
  staff: readonly StaffRole[];
  dealer: boolean;
  integration: boolean;
}

/** 403 problem+json unless the principal satisfies the rule. */
export function authorize(principal: Principal, rule: AccessRule, action: string): void {
  const allowed = (() => {
    switch (principal.kind) {
      case 'staff':
        return principal.roles.some((role) => rule.staff.includes(role));
      case 'dealer':
        return rule.dealer;
      case 'integration':
        return rule.integration;
    }
  })();
  if (!allowed) throw problem(Problems.forbidden, `a ${principal.kind} principal may not ${action} here`);
}

/** The dealer a principal is confined to, or undefined when it sees every dealer's rows. */
export function dealerScope(principal: Principal): string | undefined {
  return principal.kind === 'dealer' ? principal.dealerId : undefined;
}
