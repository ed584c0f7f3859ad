import type { Principal } from '@crm/domain';
import { problem, Problems, signPrincipal, type Runtime } from '@crm/platform';

/** Which dealers and organisation customers exist. The customers service owns them; the gateway asks it, never its schema. */
export interface DealerDirectory {
  exists(dealerId: string): Promise<boolean>;
  /** Whether the customer exists and is an organisation (account users belong to one). */
  organizationExists(customerId: string): Promise<boolean>;
}

/** Who the gateway is when it asks on its own behalf: staff that may only read. */
export const GATEWAY_PRINCIPAL: Principal = { kind: 'staff', subject: 'gateway', roles: ['analyst'] };

/**
 * `GET /v1/dealers/{id}` on the customers service, with a principal the gateway signs for that one
 * request: 200 → exists, 404 → does not. Anything else (down, slow, 5xx) is a 502 problem, so an
 * outage never passes for "unknown dealer" nor lets an unchecked dealer through.
 */
export function createHttpDealerDirectory(options: { customersUrl: string; internalSecret: string; runtime: Runtime; timeoutMs: number }): DealerDirectory {
  /** The record at `path`, or undefined when the customers service says it does not exist. */
  async function lookUp(path: string, what: string): Promise<unknown> {
    const headers = signPrincipal(GATEWAY_PRINCIPAL, options.internalSecret, { method: 'GET', url: path }, options.runtime.now());
    try {
      const response = await fetch(new URL(path, options.customersUrl), { headers, redirect: 'manual', signal: AbortSignal.timeout(options.timeoutMs) });
      if (response.status === 200) return await response.json();
      await response.body?.cancel();
      // Gone, merged away (308) or never there: nothing a new credential could act for.
      if ([404, 308, 410].includes(response.status)) return undefined;
    } catch {
      // Answered below, like any other failure.
    }
    throw problem(Problems.badGateway, `the customers service could not confirm ${what}; try again`);
  }
  return {
    async exists(dealerId) {
      return (await lookUp(`/v1/dealers/${encodeURIComponent(dealerId)}`, `dealer ${dealerId}`)) !== undefined;
    },
    async organizationExists(customerId) {
      const customer = await lookUp(`/v1/customers/${encodeURIComponent(customerId)}`, `customer ${customerId}`);
      return typeof customer === 'object' && customer !== null && (customer as { kind?: unknown }).kind === 'organization';
    },
  };
}
