import { SafeJson, SafeText } from '@crm/domain';
import { documentedAs, IdempotencyKeyHeader, PageQuery } from '@crm/platform';
import { z } from 'zod';
import { SegmentRule } from './rules';

/** Customers a preview names. */
export const PREVIEW_SAMPLE = 20;

export const Segment = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    rule: documentedAs(SegmentRule, 'output'),
    memberCount: z.number().int(),
    evaluatedAt: z.string().nullable(),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Segment' });
export type Segment = z.infer<typeof Segment>;

export const SegmentMember = z.object({ customerId: z.uuid(), enteredAt: z.string() }).meta({ id: 'SegmentMember' });
export type SegmentMember = z.infer<typeof SegmentMember>;

const Name = SafeText.trim().min(1).max(200);
const Description = SafeText.max(2000).nullable();
/** Checked by `assertRule`, which answers 422 `invalid-rule` with every error path and reason; only storable text passes here. */
const RuleInput = documentedAs(SegmentRule, 'input', SafeJson);

export const SegmentParams = z.object({ id: z.uuid() });
export const CreateSegmentHeaders = z.object({ 'idempotency-key': IdempotencyKeyHeader });
export const CreateSegmentBody = z.strictObject({ name: Name, description: Description.optional(), rule: RuleInput });
export type CreateSegmentBody = z.infer<typeof CreateSegmentBody>;
export const UpdateSegmentBody = z.strictObject({ name: Name.optional(), description: Description.optional(), rule: RuleInput.optional() });
export type UpdateSegmentBody = z.infer<typeof UpdateSegmentBody>;
export const PreviewSegmentBody = z.strictObject({ rule: RuleInput });
export const SegmentPreview = z.object({ count: z.number().int(), sample: z.array(z.uuid()).describe(`the first ${PREVIEW_SAMPLE} customer ids`) });
export type SegmentPreview = z.infer<typeof SegmentPreview>;
export const SegmentPageQuery = PageQuery;
export type SegmentPageQuery = z.infer<typeof SegmentPageQuery>;
