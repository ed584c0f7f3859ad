import { SafeDate } from '@crm/domain';
import { z } from 'zod';

export const ClvModel = z
  .object({
    id: z.uuid(),
    version: z.number().int(),
    active: z.boolean(),
    calibrationEnd: z.string(),
    timeUnit: z.enum(['days', 'weeks']),
    bgNbd: z.object({ r: z.number(), alpha: z.number(), a: z.number(), b: z.number() }),
    gammaGamma: z.object({ p: z.number(), q: z.number(), gamma: z.number() }).nullable(),
    logLikelihood: z.number(),
    sampleSize: z.number().int(),
    fittedAt: z.string(),
  })
  .meta({ id: 'ClvModel' });
export type ClvModel = z.infer<typeof ClvModel>;

export const FitClvModelBody = z.strictObject({ calibrationEnd: SafeDate, timeUnit: z.enum(['days', 'weeks']), activate: z.boolean().default(true) });
export type FitClvModelBody = z.infer<typeof FitClvModelBody>;

export const ClvModelList = z.object({ items: z.array(ClvModel) });
export const ClvModelVersionParams = z.object({ version: z.coerce.number().int().min(1) });
