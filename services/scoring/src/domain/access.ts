import type { Principal } from '@crm/domain';
import { authorize as authorizeRule, type AccessRule } from '@crm/platform';

export type Action = 'read' | 'ingest' | 'administer';

/** Batch jobs and ERP post sales, dealers only their own; rates and models are admin work. */
const rules: Record<Action, AccessRule> = {
  read: { staff: ['admin', 'sales', 'agent', 'marketing', 'analyst'], dealer: true, integration: true },
  ingest: { staff: ['admin', 'sales'], dealer: true, integration: true },
  administer: { staff: ['admin'], dealer: false, integration: false },
};

export function authorize(principal: Principal, action: Action): void {
  authorizeRule(principal, rules[action], action);
}
