import type { Principal } from '@crm/domain';

/**
 * Which sales rows a caller sees (and may act on): everything (admin, finance, analysts, integrations),
 * the rows owned by a set of reps (a rep: its own and its teammates'; a manager: its teams'), a dealer's
 * rows, or an organisation's rows (its account users). Rows outside the scope answer 404, never 403:
 * their existence is not revealed.
 */
export type SalesScope =
  | { kind: 'all' }
  | { kind: 'owners'; subjects: string[] }
  | { kind: 'dealer'; dealerId: string }
  | { kind: 'account'; customerId: string };

/** The scope of a principal; `teammatesOf` gives the subjects a rep or manager sees (itself included). */
export async function salesScopeOf(principal: Principal, teammatesOf: (subject: string) => Promise<string[]>): Promise<SalesScope> {
  switch (principal.kind) {
    case 'dealer':
      return { kind: 'dealer', dealerId: principal.dealerId };
    case 'account':
      return { kind: 'account', customerId: principal.customerId };
    case 'integration':
      return { kind: 'all' };
    case 'staff': {
      const seesAll = principal.roles.some((role) => role !== 'sales' && role !== 'sales-manager');
      return seesAll ? { kind: 'all' } : { kind: 'owners', subjects: await teammatesOf(principal.subject) };
    }
  }
}

/** The columns a row states its ownership in (any may be absent from a table that has no such owner). */
export interface OwnedRow {
  owner_subject?: string | null;
  dealer_id?: string | null;
  customer_id?: string | null;
}

/** Whether a row (already read) is in the scope: for single-row reads and writes. */
export function inScope(scope: SalesScope, row: OwnedRow): boolean {
  switch (scope.kind) {
    case 'all':
      return true;
    case 'owners':
      return row.owner_subject != null && scope.subjects.includes(row.owner_subject);
    case 'dealer':
      return row.dealer_id === scope.dealerId;
    case 'account':
      return row.customer_id === scope.customerId;
  }
}
