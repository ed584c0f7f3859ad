import type { CustomerSummary } from './bg-nbd.model';

/**
 * Customers with identical (x, t_x, T) contribute identical likelihood terms, so a fit only needs each
 * distinct triple once with its count. Day-level data has few distinct triples (a million customers with a
 * year of history collapse to tens of thousands), which is what makes large fits fast.
 */
export interface WeightedSummaries {
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  weight: Float64Array;
  /** Number of customers, i.e. the sum of the weights. */
  customers: number;
}

export function aggregateSummaries(customers: Iterable<CustomerSummary>): WeightedSummaries {
  const rowOf = new Map<string, number>();
  const x: number[] = [];
  const tx: number[] = [];
  const T: number[] = [];
  const weight: number[] = [];
  let count = 0;
  for (const customer of customers) {
    assertValidSummary(customer, count);
    count++;
    const key = `${customer.x}|${customer.tx}|${customer.T}`;
    const row = rowOf.get(key);
    if (row !== undefined) {
      weight[row] = (weight[row] ?? 0) + 1;
    } else {
      rowOf.set(key, x.length);
      x.push(customer.x);
      tx.push(customer.tx);
      T.push(customer.T);
      weight.push(1);
    }
  }
  // Rows in x order let the likelihood compute its per-x gamma terms once per run of equal x.
  const order = x.map((_, i) => i).sort((i, j) => (x[i] ?? 0) - (x[j] ?? 0));
  const column = (values: number[]) => Float64Array.from(order, (i) => values[i] ?? NaN);
  return { x: column(x), tx: column(tx), T: column(T), weight: column(weight), customers: count };
}

export function assertValidSummary({ x, tx, T }: CustomerSummary, index = 0): void {
  const valid =
    Number.isInteger(x) && x >= 0 && Number.isFinite(T) && tx >= 0 && tx <= T && (x > 0 || tx === 0);
  if (!valid) {
    throw new RangeError(
      `customer ${index}: need an integer x ≥ 0, 0 ≤ t_x ≤ T and t_x = 0 when x = 0; got x=${x}, tx=${tx}, T=${T}`,
    );
  }
}
