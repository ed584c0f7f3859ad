import { calendarDate, currencyDecimals, type Principal } from '@crm/domain';
import { customerDirectory, decodeCursor, paginate, problem, Problems, requireIfMatch, type Runtime } from '@crm/platform';
import { z } from 'zod';
import type { SalesDb } from '../db/tables';
import { SalesProblems } from '../sales.problems';
import { catalogRepository, type BookScope, type PriceBookEntryRow, type PriceBookRow, type ProductRow } from './catalog.repository';
import type { Price, PriceBook, PriceBookInput, PriceQuery, Product, ProductInput } from './catalog.schemas';
import { choosePrice } from './price.rules';

export const productOf = (row: ProductRow): Product => ({
  id: row.id,
  sku: row.sku,
  name: row.name,
  category: row.category,
  productLine: row.product_line,
  unit: row.unit,
  listPrices: Object.entries(row.list_prices).map(([currency, amount]) => ({ amount, currency })),
  unitCost: row.unit_cost !== null && row.cost_currency !== null ? { amount: row.unit_cost, currency: row.cost_currency } : null,
  active: row.active,
  version: row.version,
});

const bookOf = (row: PriceBookRow, entries: PriceBookEntryRow[]): PriceBook => {
  const bySku = new Map<string, { minQuantity: number; unitPrice: string }[]>();
  for (const entry of entries) bySku.set(entry.sku, [...(bySku.get(entry.sku) ?? []), { minQuantity: Number(entry.min_quantity), unitPrice: entry.unit_price }]);
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    customerId: row.customer_id,
    dealerId: row.dealer_id,
    currency: row.currency,
    validFrom: row.valid_from,
    validTo: row.valid_to,
    entries: [...bySku].map(([sku, breaks]) => ({ sku, breaks })),
    version: row.version,
  };
};

const productRowOf = (input: ProductInput) => ({
  name: input.name,
  category: input.category,
  product_line: input.productLine,
  unit: input.unit,
  list_prices: JSON.stringify(Object.fromEntries(input.listPrices.map((m) => [m.currency, m.amount]))),
  unit_cost: input.unitCost?.amount ?? null,
  cost_currency: input.unitCost?.currency ?? null,
  active: input.active,
});

const SkuCursor = z.object({ sku: z.string() });
const IdCursor = z.object({ id: z.uuid() });

/** What books a principal may see, and on whose behalf it may ask for prices (the 404 rule for the rest). */
const bookScopeOf = (principal: Principal): BookScope =>
  principal.kind === 'dealer' ? { kind: 'dealer', dealerId: principal.dealerId } : principal.kind === 'account' ? { kind: 'customer', customerId: principal.customerId } : { kind: 'all' };
const bookVisible = (scope: BookScope, row: PriceBookRow) =>
  scope.kind === 'all' || (scope.kind === 'dealer' ? row.dealer_id === scope.dealerId : row.customer_id === scope.customerId);

/** Products, price books and the price that applies. */
export function createCatalogService(deps: { db: SalesDb; runtime: Runtime; write: <T>(work: (trx: SalesDb) => Promise<T>) => Promise<T>; timeZone: string }) {
  const { db, runtime } = deps;
  const today = () => calendarDate(runtime.now(), deps.timeZone);

  /** The unit price of `quantity` × `sku` for the customer (or dealer) on a day, and why; `undefined` when none applies. */
  const priceFor = async (executor: SalesDb, at: { sku: string; currency: string; quantity: number; customerId?: string; dealerId?: string; date?: string }) => {
    const [product] = await catalogRepository.productsBySku(executor, [at.sku]);
    if (!product) return { product: undefined, price: undefined };
    const books = await catalogRepository.applicableBooks(executor, { customerId: at.customerId, dealerId: at.dealerId, currency: at.currency, date: at.date ?? today() });
    const entries = await catalogRepository.entriesOf(executor, books.map((book) => book.id), [at.sku]);
    return { product, price: choosePrice(product, at.currency, at.quantity, books, entries) };
  };

  return Object.freeze({
    async createProduct(input: ProductInput): Promise<Product> {
      const at = runtime.now();
      const row = await catalogRepository.insertProduct(db, { id: runtime.newId(), sku: input.sku, ...productRowOf(input), created_at: at, updated_at: at });
      if (!row) throw problem(Problems.conflict, `sku ${input.sku} is taken`);
      return productOf(row);
    },

    async product(id: string): Promise<Product> {
      const row = await catalogRepository.findProduct(db, id);
      if (!row) throw problem(Problems.notFound, `product ${id} does not exist`);
      return productOf(row);
    },

    async listProducts(principal: Principal, query: { limit: number; cursor?: string; active?: 'true' | 'false'; category?: string }) {
      const after = decodeCursor(query.cursor, SkuCursor);
      // Dealers and account users see what can be sold: active products only.
      const active = principal.kind === 'dealer' || principal.kind === 'account' ? true : query.active === undefined ? undefined : query.active === 'true';
      const rows = await catalogRepository.listProducts(db, { after: after?.sku, limit: query.limit + 1, active, category: query.category });
      return paginate(rows, query.limit, productOf, (row) => ({ sku: row.sku }));
    },

    async updateProduct(id: string, input: ProductInput, ifMatch: string | undefined): Promise<Product> {
      return deps.write(async (trx) => {
        const current = await catalogRepository.findProduct(trx, id, { forUpdate: true });
        if (!current) throw problem(Problems.notFound, `product ${id} does not exist`);
        requireIfMatch(ifMatch, current.version);
        if (input.sku !== current.sku) throw problem(Problems.unprocessable, `a product's sku cannot change (${current.sku})`);
        return productOf(await catalogRepository.updateProduct(trx, id, { ...productRowOf(input), updated_at: runtime.now() }));
      });
    },

    async createBook(input: PriceBookInput): Promise<PriceBook> {
      return deps.write(async (trx) => {
        const target = { kind: input.kind, customerId: input.customerId ?? null, dealerId: input.dealerId ?? null, currency: input.currency, validFrom: input.validFrom, validTo: input.validTo };
        if (input.customerId) {
          const customer = await customerDirectory.find(trx, input.customerId);
          if (customer?.kind !== 'organization') throw problem(SalesProblems.ruleViolation, `customer ${input.customerId} is not a known organisation customer: negotiated books are for organisations`);
        }
        const overlapping = await catalogRepository.overlappingBooks(trx, target);
        if (overlapping.length > 0) {
          const other = overlapping[0]!;
          throw problem(SalesProblems.ruleViolation, `its validity overlaps price book "${other.name}" (${other.id}, ${other.valid_from} – ${other.valid_to ?? 'open'}) for the same ${input.kind === 'standard' ? 'currency' : input.kind} and currency`);
        }
        const products = new Map((await catalogRepository.productsBySku(trx, input.entries.map((e) => e.sku))).map((p) => [p.sku, p]));
        const unknown = input.entries.filter((e) => !products.has(e.sku)).map((e) => e.sku);
        if (unknown.length > 0) throw problem(SalesProblems.ruleViolation, `no product with sku ${unknown.slice(0, 5).join(', ')}`);
        for (const entry of input.entries) {
          for (const price of entry.breaks) {
            if ((price.unitPrice.split('.')[1]?.length ?? 0) > currencyDecimals(input.currency)) {
              throw problem(Problems.validation, `entries: ${entry.sku}: ${input.currency} allows ${currencyDecimals(input.currency)} decimal places; "${price.unitPrice}" has more`);
            }
          }
        }
        const id = runtime.newId();
        const entries = input.entries.flatMap((entry) => entry.breaks.map((b) => ({ price_book_id: id, sku: entry.sku, min_quantity: String(b.minQuantity), unit_price: b.unitPrice })));
        const row = await catalogRepository.insertBook(trx, { id, ...pick(input), created_at: runtime.now() }, entries);
        return bookOf(row, await catalogRepository.entriesOf(trx, [id]));
      });
    },

    async book(principal: Principal, id: string): Promise<PriceBook> {
      const row = await catalogRepository.findBook(db, id);
      if (!row || !bookVisible(bookScopeOf(principal), row)) throw problem(Problems.notFound, `price book ${id} does not exist`);
      return bookOf(row, await catalogRepository.entriesOf(db, [id]));
    },

    async listBooks(principal: Principal, page: { limit: number; cursor?: string }) {
      const after = decodeCursor(page.cursor, IdCursor);
      const rows = await catalogRepository.listBooks(db, bookScopeOf(principal), { after: after?.id, limit: page.limit + 1 });
      const entries = await catalogRepository.entriesOf(db, rows.map((row) => row.id));
      return paginate(rows, page.limit, (row) => bookOf(row, entries.filter((e) => e.price_book_id === row.id)), (row) => ({ id: row.id }));
    },

    priceFor,

    async price(principal: Principal, query: PriceQuery): Promise<Price> {
      const asked = await onBehalfOf(db, principal, query.customerId, query.dealerId);
      const { product, price } = await priceFor(db, { ...query, ...asked });
      if (!product || (!product.active && (principal.kind === 'dealer' || principal.kind === 'account'))) throw problem(Problems.notFound, `product ${query.sku} does not exist`);
      if (!price) throw problem(SalesProblems.ruleViolation, `nothing prices ${query.sku} in ${query.currency}: no price book entry and no list price in that currency`);
      return { sku: product.sku, currency: query.currency, quantity: query.quantity, ...price };
    },
  });
}
export type CatalogService = ReturnType<typeof createCatalogService>;

const pick = (input: PriceBookInput) => ({
  name: input.name,
  kind: input.kind,
  customer_id: input.customerId ?? null,
  dealer_id: input.dealerId ?? null,
  currency: input.currency,
  valid_from: input.validFrom,
  valid_to: input.validTo,
});


/**
 * Whose prices a principal may ask for: an account user only its organisation's, a dealer only its own
 * (and its own customers'); anything else is a 404 like an unknown customer. Merged ids resolve.
 */
export async function onBehalfOf(db: SalesDb, principal: Principal, customerId: string | undefined, dealerId: string | undefined): Promise<{ customerId?: string; dealerId?: string }> {
  if (principal.kind === 'account') return { customerId: principal.customerId };
  const customer = customerId === undefined ? undefined : await customerDirectory.find(db, await customerDirectory.finalSurvivorOf(db, customerId));
  if (customerId !== undefined && (!customer || (principal.kind === 'dealer' && customer.dealer_id !== principal.dealerId))) {
    throw problem(Problems.notFound, `customer ${customerId} does not exist`);
  }
  if (principal.kind === 'dealer') return { customerId: customer?.id, dealerId: principal.dealerId };
  return { customerId: customer?.id, dealerId: dealerId ?? customer?.dealer_id ?? undefined };
}
