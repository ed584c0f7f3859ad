import { CurrencyCode, SafeText } from '@crm/domain';
import { PageQuery } from '@crm/platform';
import { z } from 'zod';
import { Quantity, Sku } from '../catalog/catalog.schemas';

const Percent = z.number().min(0).max(100).refine((p) => Number.isInteger(p * 100), 'at most 2 decimal places');

export const NewOrder = z
  .strictObject({
    customerId: z.uuid().describe('Account users order for their organisation: this must be it'),
    dealerId: z.uuid().optional().describe("Staff only: the selling dealer (default: the customer's dealer). A dealer always sells as itself."),
    ownerSubject: SafeText.trim().min(1).max(200).optional().describe('Staff only: the rep who owns the sale (default: the caller)'),
    currency: CurrencyCode,
    lines: z
      .array(z.strictObject({ sku: Sku, quantity: Quantity, discountPercent: Percent.default(0).describe('Line discount off the applicable price') }))
      .min(1)
      .max(500),
  })
  .meta({ id: 'NewOrder' });
export type NewOrder = z.infer<typeof NewOrder>;

const OrderLine = z.object({
  lineNo: z.number().int(),
  sku: z.string(),
  category: z.string().nullable(),
  quantity: z.number(),
  unitPrice: z.string(),
  discountPercent: z.number(),
  amount: z.string().describe('quantity × unit price − discount, rounded to the currency'),
  priceRule: z.string().describe('Why this unit price applied'),
  returnedQuantity: z.number(),
});

export const Order = z
  .object({
    id: z.uuid(),
    customerId: z.uuid().nullable(),
    dealerId: z.uuid().nullable(),
    ownerSubject: z.string().nullable(),
    currency: z.string(),
    status: z.enum(['placed', 'cancelled']),
    total: z.string(),
    lines: z.array(OrderLine),
    returns: z.array(z.object({ id: z.uuid(), returnedAt: z.iso.datetime(), reason: z.string().nullable(), amount: z.string(), lines: z.array(z.object({ lineNo: z.number().int(), quantity: z.number(), amount: z.string() })) })),
    placedAt: z.iso.datetime(),
    placedBy: z.string(),
    cancelledAt: z.iso.datetime().nullable(),
    cancelReason: z.string().nullable(),
    version: z.number().int(),
  })
  .meta({ id: 'Order' });
export type Order = z.infer<typeof Order>;

export const OrderListQuery = PageQuery.extend({ customerId: z.uuid().optional(), status: z.enum(['placed', 'cancelled']).optional() });
export type OrderListQuery = z.infer<typeof OrderListQuery>;

export const CancelOrder = z.strictObject({ reason: SafeText.trim().min(1).max(500) }).meta({ id: 'CancelOrder' });

export const NewReturn = z
  .strictObject({
    reason: SafeText.trim().min(1).max(500).optional(),
    lines: z.array(z.strictObject({ lineNo: z.number().int().min(1), quantity: Quantity })).min(1).max(500),
  })
  .refine((r) => new Set(r.lines.map((l) => l.lineNo)).size === r.lines.length, { message: 'each line once', path: ['lines'] })
  .meta({ id: 'NewReturn' });
export type NewReturn = z.infer<typeof NewReturn>;
