import type { Principal } from '@crm/domain';
import { authorize as authorizeRule, type AccessRule } from '@crm/platform';

export { dealerScope } from '@crm/platform';

export type Action = 'read' | 'write' | 'merge' | 'erase' | 'administer';

/** Dealers and integrations read and write customers (dealers only their own); the rest is staff work. */
const rules: Record<Action, AccessRule> = {
  read: { staff: ['admin', 'sales', 'agent', 'marketing', 'analyst'], dealer: true, integration: true },
  write: { staff: ['admin', 'sales', 'agent', 'marketing'], dealer: true, integration: true },
  merge: { staff: ['admin', 'sales', 'agent'], dealer: false, integration: false },
  erase: { staff: ['admin'], dealer: false, integration: false },
  administer: { staff: ['admin'], dealer: false, integration: false },
};

export function authorize(principal: Principal, action: Action): void {
  authorizeRule(principal, rules[action], action);
}
