import { CurrencyCode, NonNegativeMoney, SafeDate, SafeText } from '@crm/domain';
import { PageQuery, QueryFlag } from '@crm/platform';
import { z } from 'zod';
import { Quantity, Sku } from '../catalog/catalog.schemas';
import { APPROVAL_STEPS } from './quote-approval.rules';

const Percent = z.number().min(0).max(100).refine((p) => Number.isInteger(Math.round(p * 1e6) / 1e4), 'at most 2 decimal places');
export const QUOTE_STATUSES = ['draft', 'pending_approval', 'approved', 'sent', 'accepted', 'rejected', 'expired', 'ordered'] as const;

const QuoteLines = z
  .array(z.strictObject({ sku: Sku, quantity: Quantity, discountPercent: Percent.default(0).describe('Line discount off the applicable price') }))
  .min(1)
  .max(500);

/** What a version of a quote says (the customer, dealer, owner and currency stay those of the quote). */
const QuoteTerms = {
  validUntil: SafeDate.describe('Last day the quote may be accepted and ordered (in the sales time zone); not in the past'),
  taxPercent: Percent.default(0).describe('Tax on the amount after the header discount'),
  headerDiscountPercent: Percent.default(0).describe('Discount off the subtotal of the lines'),
  lines: QuoteLines,
};

export const NewQuote = z
  .strictObject({
    customerId: z.uuid().describe('Account users quote for their organisation: this must be it'),
    dealerId: z.uuid().optional().describe("Staff only: the selling dealer (default: the customer's dealer). A dealer always sells as itself."),
    ownerSubject: SafeText.trim().min(1).max(200).optional().describe('Staff only: the rep who owns the quote (default: the caller)'),
    currency: CurrencyCode,
    ...QuoteTerms,
  })
  .meta({ id: 'NewQuote' });
export type NewQuote = z.infer<typeof NewQuote>;

export const QuoteRevision = z.strictObject(QuoteTerms).meta({ id: 'QuoteRevision' });
export type QuoteRevision = z.infer<typeof QuoteRevision>;

const QuoteLine = z.object({
  lineNo: z.number().int(),
  sku: z.string(),
  category: z.string().nullable(),
  quantity: z.number(),
  unitPrice: z.string(),
  listPrice: z.string().nullable(),
  discountPercent: z.number(),
  amount: z.string().describe('quantity × unit price − line discount, rounded to the currency'),
  priceRule: z.string().describe('Why this unit price applied'),
});

export const QuoteVersion = z
  .object({
    version: z.number().int(),
    validUntil: z.string(),
    taxPercent: z.number(),
    headerDiscountPercent: z.number(),
    lines: z.array(QuoteLine),
    subtotal: z.string().describe("The lines' net amounts"),
    discount: z.string().describe('The header discount off the subtotal'),
    tax: z.string(),
    total: z.string().describe('subtotal − discount + tax, rounded to the currency'),
    createdBy: z.string(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'QuoteVersion' });
export type QuoteVersion = z.infer<typeof QuoteVersion>;

const ApprovalDecisionRecord = z.object({
  id: z.uuid(),
  version: z.number().int().describe('The quote version decided on'),
  step: z.number().int(),
  role: z.string(),
  decision: z.enum(['approve', 'reject']),
  comment: z.string().nullable(),
  decidedBy: z.string(),
  decidedAt: z.iso.datetime(),
});

export const Quote = z
  .object({
    id: z.uuid(),
    customerId: z.uuid(),
    dealerId: z.uuid().nullable(),
    ownerSubject: z.string().nullable(),
    createdBy: z.string(),
    currency: z.string(),
    status: z.enum(QUOTE_STATUSES).describe('expired as soon as validUntil has passed in the sales time zone'),
    ...QuoteVersion.omit({ createdBy: true, createdAt: true }).shape,
    createdAt: z.iso.datetime(),
    approval: z.object({
      ruleId: z.uuid().nullable(),
      reason: z.string().nullable().describe('Which rule (or the organisation policy) required approval, and why'),
      chain: z.array(z.string()),
      currentStep: z.number().int().nullable().describe('1-based step awaiting a decision, null when none'),
      submittedBy: z.string().nullable(),
      submittedAt: z.iso.datetime().nullable(),
      decisions: z.array(ApprovalDecisionRecord),
    }),
    orderId: z.uuid().nullable(),
    revision: z.number().int().describe('Changes with every change of the quote (the ETag)'),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Quote' });
export type Quote = z.infer<typeof Quote>;

export const QuoteListQuery = PageQuery.extend({
  customerId: z.uuid().optional(),
  status: z.enum(QUOTE_STATUSES).optional(),
  awaitingMyApproval: QueryFlag.optional().describe("Only the quotes whose current approval step is the caller's to decide (its approval inbox)"),
});
export type QuoteListQuery = z.infer<typeof QuoteListQuery>;

export const ApprovalDecisionBody = z
  .strictObject({ decision: z.enum(['approve', 'reject']), comment: SafeText.trim().max(2000).optional() })
  .meta({ id: 'QuoteApprovalDecision' });
export type ApprovalDecisionBody = z.infer<typeof ApprovalDecisionBody>;

export const ApprovalStep = z.enum(APPROVAL_STEPS);

export const NewApprovalRule = z
  .strictObject({
    name: SafeText.trim().min(1).max(200),
    position: z.number().int().min(1).max(100_000).describe('Rules are evaluated by position, lowest first; the first whose conditions all hold applies'),
    conditions: z
      .strictObject({
        discountPercentAbove: Percent.optional().describe('Some line\'s effective discount (its own and the header\'s) is above this'),
        totalAbove: z.array(NonNegativeMoney).max(50).optional().describe('The total is above this amount in the quote\'s currency (a quote in another currency does not match)'),
        belowCost: z.literal(true).optional().describe('Some line sells below its product\'s unit cost (same currency)'),
      })
      .refine((c) => c.discountPercentAbove !== undefined || c.totalAbove !== undefined || c.belowCost !== undefined, 'at least one condition')
      .refine((c) => !c.totalAbove || new Set(c.totalAbove.map((m) => m.currency)).size === c.totalAbove.length, 'one amount per currency'),
    chain: z.array(ApprovalStep).min(1).max(5).refine((chain) => new Set(chain).size === chain.length, 'each step once'),
    active: z.boolean().default(true),
  })
  .meta({ id: 'NewQuoteApprovalRule' });
export type NewApprovalRule = z.infer<typeof NewApprovalRule>;

export const ApprovalRuleView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    position: z.number().int(),
    conditions: z.object({ discountPercentAbove: z.number().optional(), totalAbove: z.array(z.object({ amount: z.string(), currency: z.string() })).optional(), belowCost: z.boolean().optional() }),
    chain: z.array(z.string()),
    active: z.boolean(),
    version: z.number().int(),
  })
  .meta({ id: 'QuoteApprovalRule' });
export type ApprovalRuleView = z.infer<typeof ApprovalRuleView>;

export const ApprovalPolicyBody = z
  .strictObject({ accountApprovalAbove: NonNegativeMoney.nullable().describe("The organisation's buyer's quotes above this total need the organisation's approver first; null: never") })
  .meta({ id: 'AccountApprovalPolicy' });
export type ApprovalPolicyBody = z.infer<typeof ApprovalPolicyBody>;
export const ApprovalPolicyView = z.object({ customerId: z.uuid(), accountApprovalAbove: z.object({ amount: z.string(), currency: z.string() }).nullable() }).meta({ id: 'AccountApprovalPolicyView' });
