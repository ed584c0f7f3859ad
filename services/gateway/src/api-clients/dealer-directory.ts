import type { Principal } from '@crm/domain';
import { problem, Problems, signPrincipal, type Runtime } from '@crm/platform';

/** Which dealers exist. The customers service owns them; the gateway asks it, never its schema. */
export interface DealerDirectory {
  exists(dealerId: string): Promise<boolean>;
}

/** Who the gateway is when it asks on its own behalf: staff that may only read. */
export const GATEWAY_PRINCIPAL: Principal = { kind: 'staff', subject: 'gateway', roles: ['analyst'] };

/**
 * `GET /v1/dealers/{id}` on the customers service, with a principal the gateway signs for that one
 * request: 200 → exists, 404 → does not. Anything else (down, slow, 5xx) is a 502 problem, so an
 * outage never passes for "unknown dealer" nor lets an unchecked dealer through.
 */
export function createHttpDealerDirectory(options: { customersUrl: string; internalSecret: string; runtime: Runtime; timeoutMs: number }): DealerDirectory {
  return {
    async exists(dealerId) {
      const path = `/v1/dealers/${encodeURIComponent(dealerId)}`;
      const headers = signPrincipal(GATEWAY_PRINCIPAL, options.internalSecret, { method: 'GET', url: path }, options.runtime.now());
      let status: number;
      try {
        const response = await fetch(new URL(path, options.customersUrl), { headers, signal: AbortSignal.timeout(options.timeoutMs) });
        status = response.status;
        await response.body?.cancel();
      } catch {
        status = 0;
      }
      if (status === 200) return true;
      if (status === 404) return false;
      throw problem(Problems.badGateway, `the customers service could not confirm dealer ${dealerId}; try again`);
    },
  };
}
