import type { Principal } from '@crm/domain';
import { problem, Problems } from '@crm/platform';

/** Administering the gateway (API clients) is for admin staff only. */
export function requireAdmin(principal: Principal): void {
  if (principal.kind !== 'staff' || !principal.roles.includes('admin')) {
    throw problem(Problems.forbidden, 'only admin staff may administer API clients');
  }
}
