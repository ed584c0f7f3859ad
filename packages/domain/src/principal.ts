import { z } from 'zod';

/** Staff roles; `sales-manager` leads a sales team, `finance` approves what money needs approving. */
export const StaffRole = z.enum(['admin', 'sales', 'sales-manager', 'finance', 'agent', 'marketing', 'analyst']);
export type StaffRole = z.infer<typeof StaffRole>;

/**
 * An organisation customer's users (Dell Premier's account portal): a buyer creates quotes and orders,
 * an approver approves them within the organisation's own rule, a viewer only reads.
 */
export const AccountRole = z.enum(['buyer', 'approver', 'viewer']);
export type AccountRole = z.infer<typeof AccountRole>;

/** Who is calling: authenticated by the gateway, forwarded signed to the services. */
export const Principal = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('staff'), subject: z.string(), roles: z.array(StaffRole).min(1) }),
  z.strictObject({ kind: z.literal('dealer'), subject: z.string(), dealerId: z.uuid() }),
  z.strictObject({ kind: z.literal('integration'), subject: z.string(), system: z.enum(['erp', 'batch']) }),
  z.strictObject({ kind: z.literal('account'), subject: z.string(), customerId: z.uuid(), role: AccountRole }),
]);
export type Principal = z.infer<typeof Principal>;

/**
 * The tenant a principal acts within: staff share one, a dealer, an integration system and an
 * organisation's account users each have their own. Subjects are unique only within a tenant.
 */
export function tenantOf(principal: Principal): string {
  switch (principal.kind) {
    case 'staff':
      return 'staff';
    case 'dealer':
      return `dealer:${principal.dealerId}`;
    case 'integration':
      return `integration:${principal.system}`;
    case 'account':
      return `account:${principal.customerId}`;
  }
}
