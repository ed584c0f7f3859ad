/** A stored transaction row, as far as its public view needs it (dates as the driver returns them). */
export interface TransactionRow {
  id: string;
  source_system: string;
  external_id: string;
  namespace: string;
  customer_id: string | null;
  occurred_at: Date | string;
  type: 'sale' | 'return';
  amount: string;
  currency: string;
  amount_base: string;
  quantity: string;
  product: string | null;
  category: string | null;
  channel: string | null;
  dealer_id: string | null;
}

/** A transaction as every route shows it: the list, and the customer's export. */
export function transactionView(t: TransactionRow) {
  return {
    id: t.id,
    sourceSystem: t.source_system,
    externalId: t.external_id,
    namespace: t.namespace,
    customerId: t.customer_id,
    occurredAt: new Date(t.occurred_at).toISOString(),
    type: t.type,
    amount: { amount: t.amount, currency: t.currency },
    amountBase: t.amount_base,
    quantity: t.quantity,
    product: t.product,
    category: t.category,
    channel: t.channel,
    dealerId: t.dealer_id,
  };
}
