import { z } from 'zod';
import { defineEvent, Topics } from './events';

/** One priced line of an order or a return, as scoring books it (amount: the line's net total, never negative). */
const OrderLine = z.object({
  lineId: z.string(),
  sku: z.string(),
  category: z.string().nullable(),
  quantity: z.number().positive(),
  amount: z.string(),
});

/** What every quote event says: ids, state and totals (no free text). */
const QuoteFacts = z.object({
  quoteId: z.uuid(),
  version: z.number().int().positive(),
  customerId: z.uuid(),
  dealerId: z.uuid().nullable(),
  ownerSubject: z.string().nullable(),
  status: z.string(),
  currency: z.string(),
  total: z.string(),
  at: z.iso.datetime({ offset: true }),
});
const quoteEvent = <T extends string>(type: T) => defineEvent({ type, topic: Topics.sales, data: QuoteFacts, key: (data) => data.quoteId });

/**
 * Products, price books, quotes, orders (the deal side of sales). Order events are what scoring books
 * as transactions (source system `sales`): placed → sales, returned → returns, cancelled → the order's
 * lines returned in full.
 */
export const SalesDealEvents = {
  orderPlaced: defineEvent({
    type: 'crm.sales.order.placed.v1',
    topic: Topics.sales,
    data: z.object({
      orderId: z.uuid(),
      customerId: z.uuid(),
      dealerId: z.uuid().nullable(),
      placedAt: z.iso.datetime({ offset: true }),
      currency: z.string(),
      lines: z.array(OrderLine).min(1),
      total: z.string(),
    }),
    key: (data) => data.customerId,
  }),
  orderReturned: defineEvent({
    type: 'crm.sales.order.returned.v1',
    topic: Topics.sales,
    data: z.object({
      orderId: z.uuid(),
      returnId: z.uuid(),
      customerId: z.uuid(),
      dealerId: z.uuid().nullable(),
      returnedAt: z.iso.datetime({ offset: true }),
      currency: z.string(),
      lines: z.array(OrderLine).min(1),
    }),
    key: (data) => data.customerId,
  }),
  orderCancelled: defineEvent({
    type: 'crm.sales.order.cancelled.v1',
    topic: Topics.sales,
    data: z.object({ orderId: z.uuid(), customerId: z.uuid(), dealerId: z.uuid().nullable(), cancelledAt: z.iso.datetime({ offset: true }), reason: z.string() }),
    key: (data) => data.customerId,
  }),
  quoteCreated: quoteEvent('crm.sales.quote.created.v1'),
  quoteSubmitted: defineEvent({
    type: 'crm.sales.quote.submitted.v1',
    topic: Topics.sales,
    data: QuoteFacts.extend({ approvalRuleId: z.uuid().nullable(), chain: z.array(z.string()).describe('The roles that must approve, in order (empty: approved at once)') }),
    key: (data) => data.quoteId,
  }),
  quoteApprovalDecided: defineEvent({
    type: 'crm.sales.quote.approval-decided.v1',
    topic: Topics.sales,
    data: QuoteFacts.extend({ step: z.number().int().positive(), role: z.string(), decision: z.enum(['approve', 'reject']), decidedBy: z.string(), decidedAt: z.iso.datetime({ offset: true }) }),
    key: (data) => data.quoteId,
  }),
  quoteApproved: quoteEvent('crm.sales.quote.approved.v1'),
  quoteRejected: quoteEvent('crm.sales.quote.rejected.v1'),
  quoteSent: quoteEvent('crm.sales.quote.sent.v1'),
  quoteAccepted: quoteEvent('crm.sales.quote.accepted.v1'),
  quoteExpired: quoteEvent('crm.sales.quote.expired.v1'),
  /** Commission lines booked for one order (placed: accrual) or one return or cancellation (clawback): totals per payee only. */
  commissionAccrued: defineEvent({
    type: 'crm.sales.commission.accrued.v1',
    topic: Topics.sales,
    data: z.object({
      orderId: z.uuid(),
      returnId: z.uuid().nullable(),
      kind: z.enum(['accrual', 'clawback']),
      period: z.string().describe('YYYY-MM in the sales time zone'),
      at: z.iso.datetime({ offset: true }),
      payees: z.array(
        z.object({ planId: z.uuid(), payeeKind: z.enum(['rep', 'dealer']), payee: z.string(), currency: z.string(), amount: z.string(), unconvertedLines: z.number().int().nonnegative() }),
      ),
    }),
    key: (data) => data.orderId,
  }),
} as const;
