import { CurrencyCode, CurrencyMoney, SafeDate, SafeText } from '@crm/domain';
import { PageQuery, QueryFlag } from '@crm/platform';
import { z } from 'zod';

export const Sku = z.string().trim().regex(/^[A-Za-z0-9._/-]{1,64}$/, 'must be 1-64 letters, digits, ".", "_", "/" or "-"');
const Decimal = z.string().regex(/^\d{1,15}(\.\d{1,4})?$/, 'must be a non-negative decimal string like "123.45"');
export const Quantity = z.number().positive().max(1_000_000).refine((q) => Number.isInteger(q * 10_000), 'at most 4 decimal places');

export const ProductInput = z
  .strictObject({
    sku: Sku,
    name: SafeText.trim().min(1).max(200),
    category: SafeText.trim().min(1).max(100).nullable().default(null),
    productLine: SafeText.trim().min(1).max(100).nullable().default(null),
    unit: SafeText.trim().min(1).max(20).default('each'),
    listPrices: z.array(CurrencyMoney).max(50).default([]).describe('One list price per currency'),
    unitCost: CurrencyMoney.nullable().default(null).describe('What one unit costs the company (below-cost checks)'),
    active: z.boolean().default(true),
  })
  .refine((p) => new Set(p.listPrices.map((m) => m.currency)).size === p.listPrices.length, { message: 'one list price per currency', path: ['listPrices'] })
  .refine((p) => p.listPrices.every((m) => !m.amount.startsWith('-')) && !p.unitCost?.amount.startsWith('-'), { message: 'prices and costs must not be negative', path: ['listPrices'] })
  .meta({ id: 'NewProduct' });
export type ProductInput = z.infer<typeof ProductInput>;

export const Product = z
  .object({
    id: z.uuid(),
    sku: z.string(),
    name: z.string(),
    category: z.string().nullable(),
    productLine: z.string().nullable(),
    unit: z.string(),
    listPrices: z.array(z.object({ amount: z.string(), currency: z.string() })),
    unitCost: z.object({ amount: z.string(), currency: z.string() }).nullable(),
    active: z.boolean(),
    version: z.number().int(),
  })
  .meta({ id: 'Product' });
export type Product = z.infer<typeof Product>;

export const ProductListQuery = PageQuery.extend({ active: QueryFlag.optional(), category: z.string().max(100).optional() });

const PriceBreak = z.strictObject({ minQuantity: Quantity.default(1), unitPrice: Decimal });
const PriceBookEntry = z.strictObject({ sku: Sku, breaks: z.array(PriceBreak).min(1).max(20) });

export const PriceBookInput = z
  .strictObject({
    name: SafeText.trim().min(1).max(200),
    kind: z.enum(['standard', 'customer', 'dealer']).describe('standard: for everyone; customer: negotiated for one organisation customer; dealer: for one dealer'),
    customerId: z.uuid().optional(),
    dealerId: z.uuid().optional(),
    currency: CurrencyCode,
    validFrom: SafeDate,
    validTo: SafeDate.nullable().default(null).describe('Last day it applies (inclusive); null: open-ended'),
    entries: z.array(PriceBookEntry).max(10_000).default([]),
  })
  .refine((b) => (b.kind === 'customer') === (b.customerId !== undefined), { message: 'customerId is required for a customer book and only there', path: ['customerId'] })
  .refine((b) => (b.kind === 'dealer') === (b.dealerId !== undefined), { message: 'dealerId is required for a dealer book and only there', path: ['dealerId'] })
  .refine((b) => b.validTo === null || b.validTo >= b.validFrom, { message: 'must not be before validFrom', path: ['validTo'] })
  .refine((b) => new Set(b.entries.map((e) => e.sku)).size === b.entries.length, { message: 'each sku once', path: ['entries'] })
  .refine((b) => b.entries.every((e) => new Set(e.breaks.map((x) => x.minQuantity)).size === e.breaks.length), { message: 'each minQuantity once per sku', path: ['entries'] })
  .meta({ id: 'NewPriceBook' });
export type PriceBookInput = z.infer<typeof PriceBookInput>;

export const PriceBook = z
  .object({
    id: z.uuid(),
    name: z.string(),
    kind: z.enum(['standard', 'customer', 'dealer']),
    customerId: z.uuid().nullable(),
    dealerId: z.uuid().nullable(),
    currency: z.string(),
    validFrom: z.string(),
    validTo: z.string().nullable(),
    entries: z.array(z.object({ sku: z.string(), breaks: z.array(z.object({ minQuantity: z.number(), unitPrice: z.string() })) })),
    version: z.number().int(),
  })
  .meta({ id: 'PriceBook' });
export type PriceBook = z.infer<typeof PriceBook>;

export const PriceQuery = z.object({
  sku: Sku,
  currency: CurrencyCode,
  quantity: z.coerce.number().positive().max(1_000_000).default(1),
  customerId: z.uuid().optional(),
  dealerId: z.uuid().optional(),
  date: SafeDate.optional().describe('The day the price is for (default: today)'),
});
export type PriceQuery = z.infer<typeof PriceQuery>;

export const Price = z
  .object({
    sku: z.string(),
    currency: z.string(),
    quantity: z.number(),
    unitPrice: z.string(),
    listPrice: z.string().nullable(),
    priceBookId: z.uuid().nullable(),
    priceBookName: z.string().nullable(),
    rule: z.string().describe('Why this price applies'),
  })
  .meta({ id: 'Price' });
export type Price = z.infer<typeof Price>;
