import { BuyingRole, CurrencyMoney, Email, Phone, SafeText } from '@crm/domain';
import { BatchItemError, documentedAs, PageQuery } from '@crm/platform';
import { z } from 'zod';
import { LEAD_CHANNELS, PURCHASE_TIMEFRAMES, RatingConditions } from './lead-rating.rules';
import { RoutingConditions } from './lead-routing.rules';

const Text = (max: number) => SafeText.trim().min(1).max(max);
const Rating = z.enum(['hot', 'warm', 'cold']);
const Status = z.enum(['queued', 'assigned', 'accepted', 'contacted', 'disqualified', 'converted']);
export const MAX_JSON_LEAD_BATCH = 5000;

const leadFields = {
  channel: z.enum(LEAD_CHANNELS),
  source: Text(200).optional().describe('Where exactly: a web form, a hotline number, a partner'),
  campaignRef: Text(200).optional(),
  name: Text(200).optional(),
  email: Email.optional().describe('Compared lower-cased for deduplication'),
  phone: Phone.optional().describe('Normalised to E.164 (+8613800138000) for deduplication'),
  province: Text(100).optional(),
  city: Text(100).optional(),
  productLine: Text(100).optional(),
  modelOfInterest: Text(100).optional(),
  purchaseTimeframe: z.enum(PURCHASE_TIMEFRAMES).default('unknown'),
  budget: CurrencyMoney.refine((m) => !m.amount.startsWith('-'), { path: ['amount'], message: 'must not be negative' }).optional(),
  testDriveRequested: z.boolean().default(false),
  notes: Text(2000).optional(),
  customerId: z.uuid().optional().describe('A known customer the lead is about'),
};

export const NewLead = z.strictObject(leadFields).meta({ id: 'NewLead' });
export type NewLead = z.infer<typeof NewLead>;

/** PATCH: the fields given change (null clears an optional one); the rating is recomputed. */
export const LeadChanges = z
  .strictObject({
    name: Text(200).nullable().optional(),
    email: Email.nullable().optional(),
    phone: Phone.nullable().optional(),
    province: Text(100).nullable().optional(),
    city: Text(100).nullable().optional(),
    productLine: Text(100).nullable().optional(),
    modelOfInterest: Text(100).nullable().optional(),
    purchaseTimeframe: z.enum(PURCHASE_TIMEFRAMES).optional(),
    budget: leadFields.budget.unwrap().nullable().optional(),
    testDriveRequested: z.boolean().optional(),
    notes: Text(2000).nullable().optional(),
  })
  .meta({ id: 'LeadChanges' });
export type LeadChanges = z.infer<typeof LeadChanges>;

const RoutingStep = z.object({
  ruleId: z.uuid().nullable(),
  ruleName: z.string().nullable(),
  reason: z.string(),
  dealerId: z.uuid().nullable(),
  ownerSubject: z.string().nullable(),
  at: z.iso.datetime(),
});
const Touch = z.object({ id: z.uuid(), channel: z.string(), source: z.string().nullable(), campaignRef: z.string().nullable(), matchedOn: z.enum(['email', 'phone']).nullable(), notes: z.string().nullable(), at: z.iso.datetime(), by: z.string() });

export const Lead = z
  .object({
    id: z.uuid(),
    status: Status,
    channel: z.string(),
    source: z.string().nullable(),
    campaignRef: z.string().nullable(),
    name: z.string().nullable(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    province: z.string().nullable(),
    city: z.string().nullable(),
    productLine: z.string().nullable(),
    modelOfInterest: z.string().nullable(),
    purchaseTimeframe: z.string(),
    budget: z.object({ amount: z.string(), currency: z.string() }).nullable(),
    testDriveRequested: z.boolean(),
    notes: z.string().nullable(),
    customerId: z.uuid().nullable(),
    rating: Rating,
    ratingRuleId: z.uuid().nullable(),
    dealerId: z.uuid().nullable(),
    ownerSubject: z.string().nullable(),
    assignmentRuleId: z.uuid().nullable(),
    assignedAt: z.iso.datetime().nullable(),
    slaDueAt: z.iso.datetime().nullable(),
    slaBreachedAt: z.iso.datetime().nullable(),
    acceptedAt: z.iso.datetime().nullable(),
    firstContactAt: z.iso.datetime().nullable(),
    closedAt: z.iso.datetime().nullable(),
    disqualifyReason: z.string().nullable(),
    opportunityId: z.uuid().nullable(),
    ageHours: z.number().describe('Hours since capture (lead aging)'),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    version: z.number().int(),
    routing: z.array(RoutingStep).optional().describe('Single reads: every placement, which rule and why'),
    touches: z.array(Touch).optional().describe('Single reads: later captures deduplicated onto this lead'),
  })
  .meta({ id: 'Lead' });
export type Lead = z.infer<typeof Lead>;

export const LeadListQuery = PageQuery.extend({
  status: Status.optional(),
  rating: Rating.optional(),
  dealerId: z.uuid().optional(),
  ownerSubject: Text(200).optional(),
  channel: z.enum(LEAD_CHANNELS).optional(),
  createdFrom: z.iso.datetime({ offset: true }).optional(),
  createdTo: z.iso.datetime({ offset: true }).optional(),
});
export type LeadListQuery = z.infer<typeof LeadListQuery>;

/** What capture did with one lead: created, or attached to an open one; the customer match either way. */
export const CaptureResult = z.object({
  index: z.number().int(),
  status: z.enum(['created', 'deduplicated', 'error']),
  leadId: z.uuid().optional(),
  rating: Rating.optional(),
  deduplicated: z.object({ leadId: z.uuid(), on: z.enum(['email', 'phone']) }).optional(),
  matchedCustomer: z.object({ customerId: z.uuid(), on: z.enum(['email', 'phone', 'given']) }).optional(),
  customerMatch: z.enum(['matched', 'none', 'unavailable', 'skipped']).optional().describe('unavailable: the customers service did not answer; the lead was kept without a match'),
  routing: z.object({ dealerId: z.uuid().nullable(), ownerSubject: z.string().nullable(), queued: z.boolean(), reason: z.string() }).optional(),
  error: BatchItemError.optional(),
});
export type CaptureResult = z.infer<typeof CaptureResult>;

export const CaptureSummary = z.object({ received: z.number(), created: z.number(), deduplicated: z.number(), errors: z.number() });
export type CaptureSummary = z.infer<typeof CaptureSummary>;
export const LeadBatchBody = z.object({ items: z.array(documentedAs(NewLead)).min(1).max(MAX_JSON_LEAD_BATCH) });
export const LeadBatchAnswer = z.object({ results: z.array(CaptureResult), summary: CaptureSummary }).meta({ id: 'LeadBatchAnswer' });

export const RejectLead = z.strictObject({ reasonCode: z.enum(['not_our_territory', 'capacity', 'duplicate', 'invalid_contact', 'other']), comment: Text(500).optional() }).meta({ id: 'RejectLead' });
export const AssignLead = z
  .strictObject({
    dealerId: z.uuid().optional(),
    ownerSubject: Text(200).optional(),
    slaBusinessHours: z.number().positive().max(1000).nullable().default(null).describe('First contact due within this many business hours; null: no SLA'),
  })
  .refine((a) => (a.dealerId === undefined) !== (a.ownerSubject === undefined), { message: 'give a dealerId or an ownerSubject (one of them)', path: ['dealerId'] })
  .meta({ id: 'AssignLead' });
export type AssignLead = z.infer<typeof AssignLead>;
export const DisqualifyLead = z.strictObject({ reasonCode: z.enum(['no_budget', 'no_interest', 'bought_elsewhere', 'unreachable', 'duplicate', 'spam', 'other']) }).meta({ id: 'DisqualifyLead' });
export const ContactLead = z.strictObject({ at: z.iso.datetime({ offset: true }).optional().describe('When the first contact happened (default: now); never in the future') }).meta({ id: 'ContactLead' });

export const ConvertLead = z
  .strictObject({
    customerId: z.uuid().optional().describe('An existing customer; without it a new one is created in the customers service from the lead'),
    newCustomerKind: z.enum(['person', 'organization']).default('person'),
    contactRole: BuyingRole.optional().describe("The lead's person joins the organisation customer (customerId, or the one the lead is linked to) as a contact with this buying role"),
    opportunity: z.strictObject({ name: Text(200), amount: CurrencyMoney.optional(), pipelineId: z.uuid().optional() }),
  })
  .meta({ id: 'ConvertLead' });
export type ConvertLead = z.infer<typeof ConvertLead>;
export const Conversion = z
  .object({ leadId: z.uuid(), customerId: z.uuid(), opportunityId: z.uuid(), contactId: z.uuid().nullable().describe('With contactRole: the contact linking the person to the organisation') })
  .meta({ id: 'LeadConversion' });

// Rules (admin)
export const NewRatingRule = z.strictObject({ name: Text(200), position: z.number().int().min(0).max(1_000_000), conditions: RatingConditions, rating: Rating, active: z.boolean().default(true) }).meta({ id: 'NewLeadRatingRule' });
export type NewRatingRule = z.infer<typeof NewRatingRule>;
export const RatingRuleChanges = z.strictObject({ name: Text(200).optional(), position: z.number().int().min(0).max(1_000_000).optional(), conditions: RatingConditions.optional(), rating: Rating.optional(), active: z.boolean().optional() }).meta({ id: 'LeadRatingRuleChanges' });
export type RatingRuleChanges = z.infer<typeof RatingRuleChanges>;
export const RatingRuleView = z.object({ id: z.uuid(), name: z.string(), position: z.number().int(), conditions: RatingConditions, rating: Rating, active: z.boolean(), version: z.number().int(), createdAt: z.iso.datetime(), updatedAt: z.iso.datetime() }).meta({ id: 'LeadRatingRule' });
export type RatingRuleView = z.infer<typeof RatingRuleView>;

const assignmentShape = {
  name: Text(200),
  position: z.number().int().min(0).max(1_000_000),
  conditions: RoutingConditions,
  target: z.enum(['dealers', 'team', 'queue']).describe('dealers: the first of dealerIds not passed over; team: round-robin among its reps under capacity; queue: the fallback queue'),
  dealerIds: z.array(z.uuid()).max(100).default([]),
  teamId: z.uuid().nullable().default(null),
  slaBusinessHours: z.number().positive().max(1000).nullable().default(null).describe('First contact due within this many business hours (Mon–Fri 09:00–18:00 in the service zone)'),
  reassignOnBreach: z.boolean().default(false),
  active: z.boolean().default(true),
};
const targetConsistent = (rule: { target?: string; dealerIds?: string[]; teamId?: string | null }) =>
  (rule.target === 'dealers') === (rule.dealerIds ?? []).length > 0 && (rule.target === 'team') === (rule.teamId != null);
export const NewAssignmentRule = z
  .strictObject(assignmentShape)
  .refine(targetConsistent, { message: 'a dealers rule names dealerIds (and only it); a team rule names teamId (and only it)', path: ['target'] })
  .meta({ id: 'NewLeadAssignmentRule' });
export type NewAssignmentRule = z.infer<typeof NewAssignmentRule>;
export const AssignmentRuleChanges = z
  .strictObject({
    name: assignmentShape.name.optional(),
    position: assignmentShape.position.optional(),
    conditions: RoutingConditions.optional(),
    target: assignmentShape.target.optional(),
    dealerIds: z.array(z.uuid()).max(100).optional(),
    teamId: z.uuid().nullable().optional(),
    slaBusinessHours: z.number().positive().max(1000).nullable().optional(),
    reassignOnBreach: z.boolean().optional(),
    active: z.boolean().optional(),
  })
  .meta({ id: 'LeadAssignmentRuleChanges' });
export type AssignmentRuleChanges = z.infer<typeof AssignmentRuleChanges>;
export const AssignmentRuleView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    position: z.number().int(),
    conditions: RoutingConditions,
    target: z.enum(['dealers', 'team', 'queue']),
    dealerIds: z.array(z.uuid()),
    teamId: z.uuid().nullable(),
    slaBusinessHours: z.number().nullable(),
    reassignOnBreach: z.boolean(),
    active: z.boolean(),
    version: z.number().int(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'LeadAssignmentRule' });
export type AssignmentRuleView = z.infer<typeof AssignmentRuleView>;
export { targetConsistent };

// Reports
export const HotLeadQuery = z.object({ dealerId: z.uuid().optional(), date: z.iso.date().optional().describe('The day in the service zone (default: today)'), limit: z.coerce.number().int().min(1).max(1000).default(200) });
export const HotLeadList = z
  .object({
    date: z.iso.date(),
    dealers: z.array(z.object({ dealerId: z.uuid().nullable(), leads: z.array(z.object({ id: z.uuid(), status: Status, name: z.string().nullable(), phone: z.string().nullable(), modelOfInterest: z.string().nullable(), city: z.string().nullable(), createdAt: z.iso.datetime(), ageHours: z.number(), slaDueAt: z.iso.datetime().nullable(), overdue: z.boolean() })) })),
  })
  .meta({ id: 'HotLeadList' });
export const LeadResponseQuery = z.object({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }), groupBy: z.enum(['dealer']).default('dealer') });
export const LeadResponseReport = z
  .object({
    from: z.iso.datetime(),
    to: z.iso.datetime(),
    rows: z.array(z.object({ dealerId: z.uuid().nullable(), assigned: z.number().int(), accepted: z.number().int(), rejected: z.number().int(), acceptanceRate: z.number().nullable(), contacted: z.number().int(), medianHoursToFirstContact: z.number().nullable(), avgHoursToFirstContact: z.number().nullable(), slaBreaches: z.number().int() })),
  })
  .meta({ id: 'LeadResponseReport' });

/** The answer to a single capture: what happened, and the lead when the caller may see it. */
export const CapturedLead = CaptureResult.omit({ index: true, status: true, error: true })
  .extend({ outcome: z.enum(['created', 'deduplicated']), lead: Lead.optional().describe('Absent when the capture was attached to a lead outside the caller\'s scope') })
  .meta({ id: 'CapturedLead' });
