import type { PriceBookEntryRow, PriceBookRow, ProductRow } from './catalog.repository';

/** The price of one sku for one sale, and why it applies. */
export interface ChosenPrice {
  unitPrice: string;
  listPrice: string | null;
  priceBookId: string | null;
  priceBookName: string | null;
  rule: string;
}

const PRECEDENCE: Record<PriceBookRow['kind'], number> = { customer: 0, dealer: 1, standard: 2 };

/**
 * Which price applies: a negotiated book of the customer wins over the dealer's book, which wins over
 * the standard book, which wins over the product's list price; within a book, the quantity break with
 * the highest minimum the quantity reaches. Undefined when nothing prices the sku in that currency.
 */
export function choosePrice(product: ProductRow, currency: string, quantity: number, books: readonly PriceBookRow[], entries: readonly PriceBookEntryRow[]): ChosenPrice | undefined {
  const listPrice = product.list_prices[currency] ?? null;
  for (const book of [...books].sort((a, b) => PRECEDENCE[a.kind] - PRECEDENCE[b.kind])) {
    const reached = entries
      .filter((entry) => entry.price_book_id === book.id && entry.sku === product.sku && Number(entry.min_quantity) <= quantity)
      .sort((a, b) => Number(b.min_quantity) - Number(a.min_quantity))[0];
    if (!reached) continue;
    const who = book.kind === 'customer' ? `negotiated for customer ${book.customer_id}` : book.kind === 'dealer' ? `for dealer ${book.dealer_id}` : 'standard';
    const minimum = Number(reached.min_quantity);
    return {
      unitPrice: reached.unit_price,
      listPrice,
      priceBookId: book.id,
      priceBookName: book.name,
      rule: `price book "${book.name}" (${who})${minimum > 1 ? `, quantity break ≥ ${minimum}` : ''}`,
    };
  }
  return listPrice === null ? undefined : { unitPrice: listPrice, listPrice, priceBookId: null, priceBookName: null, rule: 'list price (no price book prices this product)' };
}
