import type { AccessRule } from '@crm/platform';

/** Who may call the gateway's own routes; proxied routes are decided by the service behind them. */
export const access = {
  /** Administering the gateway (API clients) is for admin staff only. */
  administer: { action: 'administer API clients', staff: ['admin'], dealer: false, integration: false },
} satisfies Record<string, AccessRule>;
