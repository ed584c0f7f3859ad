import { AccountRole, StaffRole, type Principal } from '@crm/domain';
import { problem, Problems } from './problems';

/**
 * Who may do one thing: staff with one of these roles, and whether dealers and integrations may.
 * Declared on the route (`config: { access }`) and checked by createApp's one hook before the body is
 * read; which rows a dealer sees is the service's business (the 404 rule), not this rule's.
 */
export interface AccessRule {
  /** What the caller does, for the 403's message: "read customers". */
  action: string;
  staff: readonly StaffRole[];
  dealer: boolean;
  integration: boolean;
  /** Account users (an organisation customer's) with one of these roles; none when absent. */
  account?: readonly AccountRole[];
}

/** Any authenticated caller: routes whose upstream (or row scope) decides the rest. */
export const anyPrincipal: AccessRule = {
  action: 'call this route',
  staff: StaffRole.options,
  dealer: true,
  integration: true,
  account: AccountRole.options,
};

/** 403 problem+json unless the principal satisfies the rule. */
export function authorize(principal: Principal, rule: AccessRule): void {
  const { action } = rule;
  const allowed = (() => {
    switch (principal.kind) {
      case 'staff':
        return principal.roles.some((role) => rule.staff.includes(role));
      case 'dealer':
        return rule.dealer;
      case 'integration':
        return rule.integration;
      case 'account':
        return rule.account?.includes(principal.role) ?? false;
    }
  })();
  if (!allowed) throw problem(Problems.forbidden, `a ${principal.kind} principal may not ${action} here`);
}

/** The organisation customer an account principal is confined to, or undefined for every other kind. */
export function accountScope(principal: Principal): string | undefined {
  return principal.kind === 'account' ? principal.customerId : undefined;
}

/** The dealer a principal is confined to, or undefined when it sees every dealer's rows. */
export function dealerScope(principal: Principal): string | undefined {
  return principal.kind === 'dealer' ? principal.dealerId : undefined;
}
