import { tenantOf, type Principal } from '@crm/domain';

/**
 * The scope an Idempotency-Key is unique in: the action and the whole identity of the caller (kind,
 * dealer or system, subject). Subjects alone may repeat across kinds and dealers, and one caller's
 * key must never replay another caller's stored response.
 */
export function idempotencyScope(action: string, principal: Principal): string {
  return `${action}:${tenantOf(principal)}:${principal.subject}`;
}
