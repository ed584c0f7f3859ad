import { z } from 'zod';
import type { Principal } from './principal';
import { ExternalId } from './values';

/**
 * External ids live in namespaces (ADR 0008): staff and integrations (the ERP, batch jobs) share one,
 * each dealer has its own. A dealer's `erp/C-1001` is therefore never the ERP's `erp/C-1001`: neither
 * can claim, shadow or land on the other's records.
 */
export const SHARED_NAMESPACE = 'shared';

export const ExternalIdNamespace = z
  .string()
  .regex(/^(shared|dealer:[0-9a-f-]{36})$/)
  .describe('`shared` (staff and integrations) or `dealer:<dealerId>` (written by that dealer)');
export type ExternalIdNamespace = z.infer<typeof ExternalIdNamespace>;

/** The namespace a principal's external ids are written to and resolved in first. */
export function externalIdNamespace(principal: Principal): ExternalIdNamespace {
  return principal.kind === 'dealer' ? `dealer:${principal.dealerId}` : SHARED_NAMESPACE;
}

/** An external id with its namespace; absent means shared (events written before namespaces existed). */
export const NamespacedExternalId = ExternalId.extend({ namespace: ExternalIdNamespace.optional() });
export type NamespacedExternalId = z.infer<typeof NamespacedExternalId>;

export const namespaceOf = (externalId: NamespacedExternalId): ExternalIdNamespace => externalId.namespace ?? SHARED_NAMESPACE;
