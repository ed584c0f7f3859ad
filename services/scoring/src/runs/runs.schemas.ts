import { z } from 'zod';

export const ScoringRun = z
  .object({
    id: z.uuid(),
    status: z.enum(['queued', 'running', 'succeeded', 'failed', 'interrupted']).describe('interrupted: its process stopped before it finished (found by its stale heartbeat)'),
    trigger: z.string(),
    step: z.enum(['scores', 'tiers', 'segments']).nullable().describe('what a running run is doing: scores → tiers → segments'),
    customersScored: z.number().int(),
    error: z.string().nullable(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'ScoringRun' });
export type ScoringRun = z.infer<typeof ScoringRun>;

export const StartRunBody = z.strictObject({}).nullish().describe('no body, or {}');
export const RunListQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(20) });
export const RunList = z.object({ items: z.array(ScoringRun) });
export const RunParams = z.object({ id: z.uuid() });
