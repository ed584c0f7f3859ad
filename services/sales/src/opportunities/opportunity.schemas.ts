import { CurrencyMoney, NonNegativeMoney, SafeText } from '@crm/domain';
import { PageQuery } from '@crm/platform';
import { z } from 'zod';
import { SalesChannel } from '../pipelines/pipeline.schemas';
import { BUYING_ROLES } from './opportunity.tables';

const Subject = SafeText.trim().min(1).max(200);
const ProductLine = SafeText.trim().min(1).max(100);
const Competitor = SafeText.trim().min(1).max(200);

export const OpportunityContact = z
  .strictObject({
    contactId: z.uuid().describe("The contact's id at the customers service"),
    role: z.enum(BUYING_ROLES).describe('The part the contact plays in the buying decision'),
  })
  .meta({ id: 'OpportunityContact' });

const Contacts = z
  .array(OpportunityContact)
  .max(50)
  .refine((contacts) => new Set(contacts.map((c) => `${c.contactId}:${c.role}`)).size === contacts.length, 'each contact and role once');

export const NewOpportunity = z
  .strictObject({
    customerId: z.uuid(),
    name: SafeText.trim().min(1).max(200),
    channel: SalesChannel.optional().describe("Picks the channel's default pipeline when `pipelineId` is absent (default: `dealer` for a dealer, else `direct`)"),
    pipelineId: z.uuid().optional(),
    stage: z.string().max(40).optional().describe("An open stage's key (default: the pipeline's first)"),
    amount: NonNegativeMoney.nullable().default(null).describe('In any currency; reported in the base currency at the rate scoring sets'),
    expectedCloseDate: z.iso.date(),
    ownerSubject: Subject.optional().describe("Staff only: the owning rep (default: the caller); a rep may only give it to itself or its team"),
    dealerId: z.uuid().nullable().optional().describe('Staff only: the dealer that works it. A dealer always owns what it creates.'),
    productLine: ProductLine.nullable().default(null),
    contacts: Contacts.default([]),
    leadId: z.uuid().nullable().default(null).describe('The lead it came from'),
  })
  .meta({ id: 'NewOpportunity' });
export type NewOpportunity = z.infer<typeof NewOpportunity>;

export const OpportunityChanges = z
  .strictObject({
    name: SafeText.trim().min(1).max(200).optional(),
    amount: NonNegativeMoney.nullable().optional(),
    expectedCloseDate: z.iso.date().optional(),
    ownerSubject: Subject.nullable().optional().describe('Staff only'),
    dealerId: z.uuid().nullable().optional().describe('Staff only'),
    productLine: ProductLine.nullable().optional(),
    contacts: Contacts.optional().describe('The whole new list'),
  })
  .meta({ id: 'OpportunityChanges' });
export type OpportunityChanges = z.infer<typeof OpportunityChanges>;

export const MoveStage = z.strictObject({ stage: z.string().min(1).max(40).describe('An open stage of the pipeline, before or after the current one') }).meta({ id: 'OpportunityStageMove' });
export const WinOpportunity = z
  .strictObject({ reason: SafeText.trim().min(1).max(500).optional(), competitor: Competitor.optional().describe('Whom it was won against') })
  .meta({ id: 'OpportunityWin' });
export const LoseOpportunity = z
  .strictObject({ reason: SafeText.trim().min(1).max(500), competitor: Competitor.optional().describe('Whom it was lost to') })
  .meta({ id: 'OpportunityLoss' });
export type CloseOpportunity = { reason?: string; competitor?: string };

export const Opportunity = z
  .object({
    id: z.uuid(),
    customerId: z.uuid(),
    name: z.string(),
    pipelineId: z.uuid(),
    stage: z.string(),
    status: z.enum(['open', 'won', 'lost']),
    probability: z.number().int(),
    forecastCategory: z.string(),
    amount: CurrencyMoney.nullable(),
    amountInBase: CurrencyMoney.nullable().describe('The amount in the base currency at the current rate'),
    amountInBaseMissing: z.string().nullable().describe('Why `amountInBase` is null (no amount, or no exchange rate)'),
    expectedCloseDate: z.iso.date().describe('When won or lost: the day it was'),
    ownerSubject: z.string().nullable(),
    dealerId: z.uuid().nullable(),
    productLine: z.string().nullable(),
    contacts: z.array(z.object({ contactId: z.uuid(), role: z.enum(BUYING_ROLES) })),
    leadId: z.uuid().nullable(),
    closeReason: z.string().nullable(),
    competitor: z.string().nullable(),
    closedAt: z.iso.datetime().nullable(),
    stageHistory: z.array(z.object({ from: z.string().nullable(), to: z.string(), by: z.string(), at: z.iso.datetime() })),
    version: z.number().int(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Opportunity' });
export type Opportunity = z.infer<typeof Opportunity>;

export const OpportunityListQuery = PageQuery.extend({
  customerId: z.uuid().optional(),
  status: z.enum(['open', 'won', 'lost']).optional(),
  pipelineId: z.uuid().optional(),
  stage: z.string().max(40).optional(),
  ownerSubject: z.string().max(200).optional(),
  dealerId: z.uuid().optional(),
  productLine: z.string().max(100).optional(),
  closeFrom: z.iso.date().optional().describe('Expected (or actual) close date on or after'),
  closeTo: z.iso.date().optional().describe('Expected (or actual) close date on or before'),
});
export type OpportunityListQuery = z.infer<typeof OpportunityListQuery>;
