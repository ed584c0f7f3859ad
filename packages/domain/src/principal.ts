import { z } from 'zod';

export const StaffRole = z.enum(['admin', 'sales', 'agent', 'marketing', 'analyst']);
export type StaffRole = z.infer<typeof StaffRole>;

/** Who is calling: authenticated by the gateway, forwarded signed to the services. */
export const Principal = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('staff'), subject: z.string(), roles: z.array(StaffRole).min(1) }),
  z.strictObject({ kind: z.literal('dealer'), subject: z.string(), dealerId: z.uuid() }),
  z.strictObject({ kind: z.literal('integration'), subject: z.string(), system: z.enum(['erp', 'batch']) }),
]);
export type Principal = z.infer<typeof Principal>;
