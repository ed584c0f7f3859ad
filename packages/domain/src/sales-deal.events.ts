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
} as const;
