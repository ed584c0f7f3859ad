import { z } from 'zod';

export const CustomerParams = z.object({ id: z.uuid() });

export const SalesPersonalData = z
  .object({
    customerId: z.uuid(),
    /** By feature: leads, opportunities, quotes, orders, activities… each a list of the records held. */
    sections: z.record(z.string(), z.array(z.looseObject({ id: z.string() }))),
  })
  .meta({ id: 'SalesPersonalData' });
export type SalesPersonalData = z.infer<typeof SalesPersonalData>;
