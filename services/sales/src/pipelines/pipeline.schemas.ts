import { SafeText } from '@crm/domain';
import { PageQuery } from '@crm/platform';
import { z } from 'zod';
import { SALES_CHANNELS } from './pipeline.tables';

export const SalesChannel = z.enum(SALES_CHANNELS).describe('The sales channel the pipeline serves');
const StageKey = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,39}$/, 'lower-case letters, digits, _ and -, starting with a letter')
  .refine((key) => key !== 'won' && key !== 'lost', '`won` and `lost` are the terminal stages every pipeline has');

export const NewStage = z
  .strictObject({
    key: StageKey.describe('Stable code of the stage (opportunities move to it by this)'),
    name: SafeText.trim().min(1).max(100),
    probability: z.number().int().min(0).max(100).describe('Default win probability (%) of an opportunity in this stage'),
    forecastCategory: z.enum(['pipeline', 'best_case', 'commit']).describe('Forecast category of an open opportunity in this stage (won ones are `closed`)'),
  })
  .meta({ id: 'NewPipelineStage' });

const Stages = z
  .array(NewStage)
  .min(1)
  .max(30)
  .refine((stages) => new Set(stages.map((s) => s.key)).size === stages.length, 'each stage key once')
  .describe('The open stages in order; `won` (100 %, closed) and `lost` (0 %, omitted) are added after them');

export const NewPipeline = z
  .strictObject({
    name: SafeText.trim().min(1).max(200),
    channel: SalesChannel,
    isDefault: z.boolean().default(false).describe("The channel's default pipeline (new opportunities and converted leads land here); the first of a channel is the default anyway"),
    stages: Stages,
  })
  .meta({ id: 'NewPipeline' });
export type NewPipeline = z.infer<typeof NewPipeline>;

export const PipelineChanges = z
  .strictObject({
    name: SafeText.trim().min(1).max(200).optional(),
    isDefault: z.literal(true).optional().describe('Make this the default of its channel (the previous default stops being it)'),
    stages: Stages.optional().describe('The whole new list of open stages; a stage that open opportunities are in cannot be dropped (422)'),
  })
  .meta({ id: 'PipelineChanges' });
export type PipelineChanges = z.infer<typeof PipelineChanges>;

export const PipelineStage = z
  .object({
    key: z.string(),
    name: z.string(),
    position: z.number().int(),
    kind: z.enum(['open', 'won', 'lost']),
    probability: z.number().int(),
    forecastCategory: z.enum(['pipeline', 'best_case', 'commit', 'closed', 'omitted']),
  })
  .meta({ id: 'PipelineStage' });
export type PipelineStage = z.infer<typeof PipelineStage>;

export const Pipeline = z
  .object({
    id: z.uuid(),
    name: z.string(),
    channel: SalesChannel,
    isDefault: z.boolean(),
    stages: z.array(PipelineStage),
    version: z.number().int(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Pipeline' });
export type Pipeline = z.infer<typeof Pipeline>;

export const PipelineListQuery = PageQuery.extend({ channel: SalesChannel.optional() });
export type PipelineListQuery = z.infer<typeof PipelineListQuery>;
