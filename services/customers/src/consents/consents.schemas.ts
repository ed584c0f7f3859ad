import { ConsentChannel, SafeDateTime, SafeText } from '@crm/domain';
import { z } from 'zod';
import { IdParams } from '../customers/customers.schemas';

export const ConsentParams = IdParams.extend({ channel: ConsentChannel });

export const ConsentBody = z.strictObject({
  granted: z.boolean(),
  source: SafeText.trim().min(1).max(100),
  recordedAt: SafeDateTime.optional(),
});

/** One decision of a customer's consent history (the newest per channel is the current state). */
export const ConsentDecision = z.object({ channel: ConsentChannel, granted: z.boolean(), source: z.string(), recordedAt: z.string() });
export type ConsentDecision = z.infer<typeof ConsentDecision>;
