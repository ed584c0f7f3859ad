import type { Principal } from '@crm/domain';
import { problem, signPrincipal } from '@crm/platform';
import { SalesProblems } from '../sales.problems';

/** The customers service's answer to matches, one entry per item asked (`index` = the item's place). */
export interface CustomerMatch {
  customerId: string;
  dealerId: string | null;
  on: 'email' | 'phone';
}

/** What sales asks of the customers service (its HTTP API, never its schema). */
export interface CustomersClient {
  /** The known customers holding each item's e-mail or phone (first match per item), or 'unavailable' when the service did not answer. */
  match(principal: Principal, items: readonly { email?: string; phone?: string }[]): Promise<(CustomerMatch | null)[] | 'unavailable'>;
  /** Creates a customer once per key (a retry answers the same one); its id. */
  create(principal: Principal, customer: object, idempotencyKey: string): Promise<string>;
  /** Links a person to an organisation with a buying role, once per key; the contact's id. */
  addContact(principal: Principal, organizationId: string, contact: { personId: string; buyingRole: string }, idempotencyKey: string): Promise<string>;
}

/** The customers service caps one matches call at this many items. */
const MATCH_CALL_ITEMS = 1000;

/**
 * Calls the customers service on behalf of the caller: the principal is forwarded signed like the gateway
 * does, so the customers service applies the caller's own visibility (a dealer matches only its customers).
 * Signatures prove transport freshness, so they carry the wall clock, not the injected business time.
 */
export function createCustomersClient(options: { baseUrl: string; internalSecret: string; timeoutMs: number }): CustomersClient {
  const call = async (principal: Principal, path: string, body: object, headers: Record<string, string> = {}) =>
    fetch(new URL(path, options.baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers, ...signPrincipal(principal, options.internalSecret, { method: 'POST', url: path }) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs),
    });

  const matchSlice = async (principal: Principal, items: readonly { email?: string; phone?: string }[]) => {
    const response = await call(principal, '/v1/customers/matches', { items });
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new Error(`matches answered ${response.status}`);
    }
    const answer = (await response.json()) as { results: { index: number; matches: CustomerMatch[] }[] };
    const found: (CustomerMatch | null)[] = items.map(() => null);
    for (const result of answer.results) {
      const first = result.matches.find((m) => m.on === 'email') ?? result.matches[0];
      if (first) found[result.index] = { customerId: first.customerId, dealerId: first.dealerId, on: first.on };
    }
    return found;
  };

  /** POSTs a creation with an Idempotency-Key; its id, or the problem sales answers with. */
  const createOnce = async (principal: Principal, path: string, body: object, idempotencyKey: string, what: string): Promise<string> => {
    let response: Response;
    try {
      response = await call(principal, path, body, { 'idempotency-key': idempotencyKey });
    } catch {
      throw problem(SalesProblems.customersUnavailable, 'the customers service did not answer; nothing was converted, try again');
    }
    const answer = (await response.json().catch(() => ({}))) as { id?: string; detail?: string };
    if ((response.status === 201 || response.status === 200) && answer.id) return answer.id;
    if (response.status >= 400 && response.status < 500) throw problem(SalesProblems.ruleViolation, `the customers service refused ${what}: ${answer.detail ?? response.status}`);
    throw problem(SalesProblems.customersUnavailable, `the customers service answered ${response.status}; nothing was converted, try again`);
  };

  return {
    async match(principal, items) {
      if (items.length === 0) return [];
      try {
        const slices: (typeof items)[] = [];
        for (let start = 0; start < items.length; start += MATCH_CALL_ITEMS) slices.push(items.slice(start, start + MATCH_CALL_ITEMS));
        return (await Promise.all(slices.map((slice) => matchSlice(principal, slice)))).flat();
      } catch {
        // Never a lost lead: the capture goes on without the match and says so.
        return 'unavailable';
      }
    },

    create: (principal, customer, idempotencyKey) => createOnce(principal, '/v1/customers', customer, idempotencyKey, 'the new customer'),
    addContact: (principal, organizationId, contact, idempotencyKey) =>
      createOnce(principal, `/v1/customers/${encodeURIComponent(organizationId)}/contacts`, contact, idempotencyKey, 'the contact'),
  };
}
