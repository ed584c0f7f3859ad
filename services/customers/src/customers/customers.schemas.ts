import {
  Address,
  ConsentChannel,
  Email,
  ExternalId,
  LifecycleStage,
  NamespacedExternalId,
  PartyKind,
  PartyRole,
  Phone,
  SafeDate,
  SafeText,
} from '@crm/domain';
import { BatchItemError, documentedAs, PageQuery } from '@crm/platform';
import { z } from 'zod';

const Name = SafeText.trim().min(1).max(200);
export const AttributeValue = z.union([SafeText.max(1000), z.number(), z.boolean(), z.null()]);

export const IdParams = z.object({ id: z.uuid() });

/**
 * What a client writes. Upserts and PATCH name only the fields they change: a field left out keeps
 * its value, arrays given replace the stored ones, external ids given are added.
 */
export const CustomerInput = z.strictObject({
  kind: PartyKind.optional(),
  displayName: Name.optional(),
  givenName: Name.nullable().optional(),
  familyName: Name.nullable().optional(),
  organizationName: Name.nullable().optional(),
  birthDate: SafeDate.nullable().optional(),
  lifecycleStage: LifecycleStage.optional(),
  roles: z.array(PartyRole).min(1).max(4).optional(),
  dealerId: z.uuid().nullable().optional(),
  emails: z.array(Email).max(10).optional(),
  phones: z.array(Phone).max(10).optional(),
  addresses: z.array(Address).max(10).optional(),
  attributes: z.record(SafeText.max(100), AttributeValue).optional(),
  externalIds: z.array(ExternalId).max(20).optional(),
});
export type CustomerInput = z.infer<typeof CustomerInput>;

/** A new customer names its kind; everything else may be derived or defaulted. */
export const NewCustomerInput = CustomerInput.required({ kind: true });

export const ConsentState = z.object({ granted: z.boolean(), source: z.string(), recordedAt: z.string() });

export const CustomerView = z
  .object({
    id: z.uuid(),
    kind: PartyKind,
    displayName: z.string(),
    givenName: z.string().nullable(),
    familyName: z.string().nullable(),
    organizationName: z.string().nullable(),
    birthDate: z.string().nullable(),
    lifecycleStage: LifecycleStage,
    roles: z.array(PartyRole),
    dealerId: z.uuid().nullable(),
    emails: z.array(z.string()),
    phones: z.array(z.string()),
    addresses: z.array(Address),
    attributes: z.record(z.string(), AttributeValue),
    externalIds: z.array(NamespacedExternalId),
    consents: z.partialRecord(ConsentChannel, ConsentState),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Customer' });
export type CustomerView = z.infer<typeof CustomerView>;

export const ExternalIdParams = z.object({ system: ExternalId.shape.system, externalId: ExternalId.shape.id });

export const SearchQuery = PageQuery.extend({
  q: SafeText.trim().min(1).max(200).optional(),
  email: Email.optional(),
  phone: Phone.optional(),
  externalSystem: ExternalId.shape.system.optional(),
  externalId: ExternalId.shape.id.optional(),
  role: PartyRole.optional(),
  lifecycleStage: LifecycleStage.optional(),
  dealerId: z.uuid().optional(),
}).refine((q) => (q.externalSystem === undefined) === (q.externalId === undefined), {
  message: 'externalSystem and externalId go together',
  path: ['externalId'],
});
export type SearchQuery = z.infer<typeof SearchQuery>;

/** One batch item: which customer (our id, an external id, or neither for a new one) and its fields. */
export const BatchItem = z
  .strictObject({ id: z.uuid().optional(), externalId: ExternalId.optional(), customer: CustomerInput })
  .refine((item) => !(item.id && item.externalId), { message: 'give id or externalId, not both', path: ['id'] })
  .meta({ id: 'CustomerBatchItem' });

export const MAX_JSON_BATCH = 5000;

/** Items are checked one by one by the service (a bad item is its own error result, never the batch's 400). */
export const BatchBody = z.object({ items: z.array(documentedAs(BatchItem)).min(1).max(MAX_JSON_BATCH) });

export const BatchItemResult = z.object({
  index: z.number().int(),
  status: z.enum(['created', 'updated', 'unchanged', 'error']),
  id: z.uuid().optional(),
  version: z.number().int().optional(),
  changedFields: z.array(z.string()).optional(),
  error: BatchItemError.optional(),
});
export type BatchItemResult = z.infer<typeof BatchItemResult>;

export const BatchSummary = z.object({ received: z.number(), created: z.number(), updated: z.number(), unchanged: z.number(), errors: z.number() });
export type BatchSummary = z.infer<typeof BatchSummary>;

export const BatchAnswer = z.object({ results: z.array(BatchItemResult), summary: BatchSummary });
