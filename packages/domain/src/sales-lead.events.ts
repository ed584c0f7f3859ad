import { z } from 'zod';
import { defineEvent, Topics } from './events';

const Rating = z.enum(['hot', 'warm', 'cold']);
const At = z.iso.datetime({ offset: true });
/** Where a lead was placed: a dealer, a rep, or the fallback queue (both null). */
const Placement = { dealerId: z.uuid().nullable(), ownerSubject: z.string().nullable() };

/**
 * Leads: capture, routing, first-contact SLA, conversion. No event carries what the lead says about a
 * person (name, e-mail, phone): ids, channel, rating and routing only (ADR 0009).
 */
export const SalesLeadEvents = {
  captured: defineEvent({
    type: 'crm.sales.lead.captured.v1',
    topic: Topics.sales,
    data: z.object({ leadId: z.uuid(), channel: z.string(), campaignRef: z.string().nullable(), customerId: z.uuid().nullable(), rating: Rating, ratingRuleId: z.uuid().nullable(), capturedAt: At }),
    key: (data) => data.leadId,
  }),
  /** A capture that deduplicated onto an open lead (same e-mail or phone): recorded there as a touch. */
  touched: defineEvent({
    type: 'crm.sales.lead.touched.v1',
    topic: Topics.sales,
    data: z.object({ leadId: z.uuid(), touchId: z.uuid(), channel: z.string(), campaignRef: z.string().nullable(), on: z.enum(['email', 'phone']), touchedAt: At }),
    key: (data) => data.leadId,
  }),
  routed: defineEvent({
    type: 'crm.sales.lead.routed.v1',
    topic: Topics.sales,
    data: z.object({ leadId: z.uuid(), ruleId: z.uuid().nullable(), ...Placement, queued: z.boolean(), slaDueAt: At.nullable(), cause: z.enum(['capture', 'rejection', 'sla-breach', 'change']), routedAt: At }),
    key: (data) => data.leadId,
  }),
  accepted: defineEvent({
    type: 'crm.sales.lead.accepted.v1',
    topic: Topics.sales,
    data: z.object({ leadId: z.uuid(), ...Placement, acceptedAt: At }),
    key: (data) => data.leadId,
  }),
  rejected: defineEvent({
    type: 'crm.sales.lead.rejected.v1',
    topic: Topics.sales,
    data: z.object({ leadId: z.uuid(), ...Placement, reasonCode: z.string(), rejectedAt: At }),
    key: (data) => data.leadId,
  }),
  contacted: defineEvent({
    type: 'crm.sales.lead.contacted.v1',
    topic: Topics.sales,
    data: z.object({ leadId: z.uuid(), ...Placement, contactedAt: At, withinSla: z.boolean().nullable() }),
    key: (data) => data.leadId,
  }),
  slaBreached: defineEvent({
    type: 'crm.sales.lead.sla-breached.v1',
    topic: Topics.sales,
    data: z.object({ leadId: z.uuid(), ruleId: z.uuid().nullable(), ...Placement, dueAt: At, detectedAt: At, reassigned: z.boolean() }),
    key: (data) => data.leadId,
  }),
  disqualified: defineEvent({
    type: 'crm.sales.lead.disqualified.v1',
    topic: Topics.sales,
    data: z.object({ leadId: z.uuid(), ...Placement, reasonCode: z.string(), disqualifiedAt: At }),
    key: (data) => data.leadId,
  }),
  converted: defineEvent({
    type: 'crm.sales.lead.converted.v1',
    topic: Topics.sales,
    data: z.object({ leadId: z.uuid(), customerId: z.uuid(), opportunityId: z.uuid(), ...Placement, convertedAt: At }),
    key: (data) => data.leadId,
  }),
} as const;
