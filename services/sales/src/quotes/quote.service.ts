import { calendarDate, Money$, roundToCurrency, SalesDealEvents, tenantOf, type Principal } from '@crm/domain';
import { customerDirectory, decodeCursor, encodeCursor, idempotencyScope, onceForKey, problem, Problems, requestHash, requireIfMatch, type Outbox, type Runtime } from '@crm/platform';
import { z } from 'zod';
import type { CatalogService } from '../catalog/catalog.service';
import type { CustomerLifecycle } from '../customer-directory/customer-lifecycle';
import type { SalesDb } from '../db/tables';
import type { OrderLineRow } from '../orders/order.repository';
import type { Order } from '../orders/order.schemas';
import { salePartiesOf, type OrderService, type SaleParties } from '../orders/order.service';
import { inScope } from '../ownership/ownership';
import { SalesProblems } from '../sales.problems';
import { approvalFor, type ApprovalStep } from './quote-approval.rules';
import { lineAmount, quoteTotals, spreadHeaderDiscount } from './quote.pricing';
import { quoteRepository, type ApprovalRuleRow, type QuoteApprovalRow, type QuoteRow, type QuoteVersionRow } from './quote.repository';
import type { ApprovalDecisionBody, ApprovalPolicyBody, ApprovalRuleView, NewApprovalRule, NewQuote, Quote, QuoteListQuery, QuoteRevision, QuoteVersion } from './quote.schemas';
import type { QuoteLineRecord } from './quote.tables';
import { callerScope } from '../ownership/caller-scope';

/** States a quote leaves for `expired` once its validUntil has passed. */
const EXPIRABLE = new Set<QuoteRow['status']>(['draft', 'pending_approval', 'approved', 'sent', 'accepted']);
/** States from which a new version may be made (editing a draft, revising after the customer's answer or expiry). */
const REVISABLE = new Set<QuoteRow['status']>(['draft', 'sent', 'rejected', 'expired']);

/** Who acted, unique across tenants (an account user's subject is unique only within its organisation). */
const actorOf = (principal: Principal) => `${tenantOf(principal)}:${principal.subject}`;

const versionOf = (row: QuoteVersionRow): QuoteVersion => ({
  version: row.version,
  validUntil: row.valid_until,
  taxPercent: Number(row.tax_percent),
  headerDiscountPercent: Number(row.header_discount_percent),
  lines: row.lines.map(({ unitCost: _cost, ...line }) => line),
  subtotal: row.subtotal,
  discount: row.discount,
  tax: row.tax,
  total: row.total,
  createdBy: row.created_by,
  createdAt: row.created_at.toISOString(),
});

const currentTermsOf = (row: QuoteVersionRow) => {
  const { createdBy: _by, createdAt: _at, ...terms } = versionOf(row);
  return terms;
};

const ruleOf = (row: ApprovalRuleRow): ApprovalRuleView => ({ id: row.id, name: row.name, position: row.position, conditions: row.conditions, chain: row.chain, active: row.active, version: row.version });

const Cursor = z.object({ at: z.iso.datetime(), id: z.uuid() });

/** Whether the principal holds the role one approval step needs. */
/** The approval steps a principal decides: its staff roles, or an organisation's approver step. */
function stepsHeldBy(principal: Principal): string[] {
  if (principal.kind === 'account') return principal.role === 'approver' ? ['account:approver'] : [];
  return principal.kind === 'staff' ? [...principal.roles] : [];
}
const holdsStep = (principal: Principal, step: ApprovalStep) => stepsHeldBy(principal).includes(step);

/**
 * Quotes: priced from the books like orders, versioned, approved along the chain the rules give,
 * sent, answered by the customer, and ordered once (copying the priced lines). Expiry is checked against
 * the injected clock in the sales time zone whenever a quote is read or changed.
 */
export function createQuoteService(deps: {
  db: SalesDb;
  runtime: Runtime;
  outbox: Outbox;
  write: <T>(work: (trx: SalesDb) => Promise<T>) => Promise<T>;
  catalog: CatalogService;
  orders: OrderService;
  timeZone: string;
}) {
  const { db, runtime, outbox } = deps;
  const today = () => calendarDate(runtime.now(), deps.timeZone);
  const scopeOf = (principal: Principal, executor: SalesDb = db) => callerScope(executor, principal);
  const lapsed = (row: QuoteRow) => EXPIRABLE.has(row.status) && row.valid_until < today();
  const statusOf = (row: QuoteRow): QuoteRow['status'] => (lapsed(row) ? 'expired' : row.status);

  const load = async (executor: SalesDb, rows: QuoteRow[]): Promise<Quote[]> => {
    const versions = await quoteRepository.currentVersions(executor, rows);
    const approvals = await quoteRepository.approvalsOf(executor, rows.map((row) => row.id));
    return rows.map((row) => quoteOf(row, versions.find((v) => v.quote_id === row.id)!, approvals.filter((a) => a.quote_id === row.id)));
  };
  const quoteOf = (row: QuoteRow, version: QuoteVersionRow, approvals: QuoteApprovalRow[]): Quote => ({
    id: row.id,
    customerId: row.customer_id,
    dealerId: row.dealer_id,
    ownerSubject: row.owner_subject,
    createdBy: row.created_by,
    currency: row.currency,
    status: statusOf(row),
    ...currentTermsOf(version),
    createdAt: row.created_at.toISOString(),
    approval: {
      ruleId: row.approval_rule_id,
      reason: row.approval_reason,
      chain: row.approval_chain,
      currentStep: statusOf(row) === 'pending_approval' ? row.approval_step : null,
      submittedBy: row.submitted_by,
      submittedAt: row.submitted_at?.toISOString() ?? null,
      decisions: approvals.map((a) => ({ id: a.id, version: a.quote_version, step: a.step, role: a.role, decision: a.decision, comment: a.comment, decidedBy: a.decided_by, decidedAt: a.decided_at.toISOString() })),
    },
    orderId: row.order_id,
    revision: row.version,
    updatedAt: row.updated_at.toISOString(),
  });

  /** The quote if the principal may see it; otherwise the same 404 as for one that does not exist. */
  /**
   * The quote if the principal may see it: in its scope, or awaiting its decision (the approver's inbox).
   * A rep's quote stays with its own team's managers (their scope); a dealer's or an organisation's quote
   * has no team, so whoever holds the current step's role decides it. Otherwise the same 404 as for none.
   */
  const visibleQuote = async (executor: SalesDb, principal: Principal, id: string, forUpdate = false) => {
    const row = await quoteRepository.find(executor, id, { forUpdate });
    if (!row || !(inScope(await scopeOf(principal, executor), row) || awaitsDecisionOf(principal, row))) throw problem(Problems.notFound, `quote ${id} does not exist`);
    return row;
  };
  const awaitsDecisionOf = (principal: Principal, row: QuoteRow) =>
    principal.kind === 'staff' && row.status === 'pending_approval' && row.owner_subject === null && holdsStep(principal, row.approval_chain[row.approval_step - 1] as ApprovalStep);

  const announce = async (trx: SalesDb, event: 'quoteCreated' | 'quoteApproved' | 'quoteRejected' | 'quoteSent' | 'quoteAccepted' | 'quoteExpired', row: QuoteRow) =>
    outbox.append(trx, SalesDealEvents[event], factsOf(row));
  const factsOf = (row: QuoteRow) => ({
    quoteId: row.id,
    version: row.current_version,
    customerId: row.customer_id,
    dealerId: row.dealer_id,
    ownerSubject: row.owner_subject,
    status: row.status,
    currency: row.currency,
    total: row.total,
    at: runtime.now().toISOString(),
  });

  /** Records that a quote's validity has run out (state and event), in the caller's transaction. */
  const expire = async (trx: SalesDb, row: QuoteRow) => {
    const expired = await quoteRepository.update(trx, row.id, { status: 'expired', updated_at: runtime.now() });
    await announce(trx, 'quoteExpired', expired);
    return expired;
  };

  /**
   * A state change on one quote: locked, in scope, not lapsed. A lapsed quote is recorded as expired
   * (committed) and the change is refused with 409.
   */
  const change = async <T>(principal: Principal, id: string, work: (trx: SalesDb, row: QuoteRow) => Promise<T>): Promise<T> => {
    const outcome = await deps.write(async (trx) => {
      const row = await visibleQuote(trx, principal, id, true);
      if (lapsed(row)) return { expired: await expire(trx, row), done: undefined };
      return { expired: undefined, done: await work(trx, row) };
    });
    if (outcome.expired) {
      throw problem(SalesProblems.invalidTransition, `quote ${id} expired: it was valid until ${outcome.expired.valid_until} and today is ${today()} (${deps.timeZone}); revise it with a new validUntil`);
    }
    return outcome.done;
  };
  const refuse = (row: QuoteRow, wanted: string) => problem(SalesProblems.invalidTransition, `quote ${row.id} is ${row.status}: it cannot be ${wanted}`);

  /** Prices the lines as an order would be priced (the customer's negotiated book first); 422 for what cannot be sold. */
  const priceLines = async (trx: SalesDb, parties: Pick<SaleParties, 'customerId' | 'dealerId'>, currency: string, lines: NewQuote['lines']): Promise<QuoteLineRecord[]> => {
    const priced: QuoteLineRecord[] = [];
    for (const [index, line] of lines.entries()) {
      const { product, price } = await deps.catalog.priceFor(trx, { sku: line.sku, currency, quantity: line.quantity, customerId: parties.customerId, dealerId: parties.dealerId ?? undefined });
      if (!product) throw problem(SalesProblems.ruleViolation, `lines.${index}: no product with sku ${line.sku}`);
      if (!product.active) throw problem(SalesProblems.ruleViolation, `lines.${index}: product ${line.sku} is not active: it cannot be quoted`);
      if (!price) throw problem(SalesProblems.ruleViolation, `lines.${index}: nothing prices ${line.sku} in ${currency}`);
      priced.push({
        lineNo: index + 1,
        sku: product.sku,
        category: product.category,
        quantity: line.quantity,
        unitPrice: price.unitPrice,
        listPrice: price.listPrice,
        discountPercent: line.discountPercent,
        amount: lineAmount(price.unitPrice, line.quantity, line.discountPercent, currency),
        priceRule: price.rule,
        unitCost: product.unit_cost !== null && product.cost_currency === currency ? product.unit_cost : null,
      });
    }
    return priced;
  };

  /** A new version's row and totals; validUntil must not be in the past. */
  const versionRow = async (trx: SalesDb, quote: { id: string; currency: string; customerId: string; dealerId: string | null }, n: number, terms: QuoteRevision, principal: Principal) => {
    if (terms.validUntil < today()) throw problem(SalesProblems.ruleViolation, `validUntil ${terms.validUntil} is in the past (today is ${today()} in ${deps.timeZone})`);
    const lines = await priceLines(trx, quote, quote.currency, terms.lines);
    const totals = quoteTotals(lines.map((line) => line.amount), terms.headerDiscountPercent, terms.taxPercent, quote.currency);
    return {
      quote_id: quote.id,
      version: n,
      valid_until: terms.validUntil,
      tax_percent: String(terms.taxPercent),
      header_discount_percent: String(terms.headerDiscountPercent),
      lines: JSON.stringify(lines),
      ...totals,
      created_by: actorOf(principal),
      created_at: runtime.now(),
    };
  };

  const NO_APPROVAL = { approval_rule_id: null, approval_chain: [], approval_step: 0, approval_reason: null, submitted_by: null, submitted_at: null };

  return Object.freeze({
    async create(principal: Principal, input: NewQuote, idempotencyKey: string | undefined): Promise<{ quote: Quote; replayed: boolean }> {
      const stored = await deps.write((trx) =>
        onceForKey(trx, { scope: idempotencyScope('quotes.create', principal), key: idempotencyKey, hash: requestHash(input) }, async () => {
          const parties = await salePartiesOf(trx, principal, input);
          const id = runtime.newId();
          const at = runtime.now();
          const version = await versionRow(trx, { id, currency: input.currency, ...parties }, 1, input, principal);
          const row = await quoteRepository.insert(
            trx,
            {
              id,
              customer_id: parties.customerId,
              dealer_id: parties.dealerId,
              owner_subject: parties.ownerSubject,
              created_by: actorOf(principal),
              currency: input.currency,
              status: 'draft',
              current_version: 1,
              valid_until: input.validUntil,
              total: version.total,
              ...NO_APPROVAL,
              order_id: null,
              created_at: at,
              updated_at: at,
            },
            version,
          );
          await announce(trx, 'quoteCreated', row);
          const [quote] = await load(trx, [row]);
          return { statusCode: 201, body: quote };
        }),
      );
      return { quote: stored.body as Quote, replayed: stored.replayed };
    },

    async get(principal: Principal, id: string): Promise<Quote> {
      const [quote] = await load(db, [await visibleQuote(db, principal, id)]);
      return quote!;
    },

    async versions(principal: Principal, id: string): Promise<QuoteVersion[]> {
      await visibleQuote(db, principal, id);
      return (await quoteRepository.versionsOf(db, id)).map(versionOf);
    },

    async list(principal: Principal, query: QuoteListQuery) {
      const before = decodeCursor(query.cursor, Cursor);
      const rows = await quoteRepository.list(db, await scopeOf(principal), {
        awaiting: query.awaitingMyApproval === 'true' ? { steps: stepsHeldBy(principal), teamlessToo: principal.kind === 'staff' } : undefined,
        customerId: query.customerId,
        status: query.status,
        expirable: [...EXPIRABLE],
        today: today(),
        before: before ? { at: new Date(before.at), id: before.id } : undefined,
        limit: query.limit + 1,
      });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return { items: await load(db, page), nextCursor: rows.length > query.limit && last ? encodeCursor({ at: last.created_at.toISOString(), id: last.id }) : null };
    },

    /** Editing a draft or revising a sent, rejected or expired quote: version n+1, back to draft. */
    async revise(principal: Principal, id: string, terms: QuoteRevision, ifMatch: string | undefined): Promise<Quote> {
      return deps.write(async (trx) => {
        let row = await visibleQuote(trx, principal, id, true);
        requireIfMatch(ifMatch, row.version);
        if (lapsed(row)) row = await expire(trx, row);
        if (!REVISABLE.has(row.status)) throw refuse(row, 'revised (only a draft, sent, rejected or expired quote can)');
        const n = row.current_version + 1;
        const version = await versionRow(trx, { id, currency: row.currency, customerId: row.customer_id, dealerId: row.dealer_id }, n, terms, principal);
        await quoteRepository.insertVersion(trx, version);
        const revised = await quoteRepository.update(trx, id, { status: 'draft', current_version: n, valid_until: terms.validUntil, total: version.total, ...NO_APPROVAL, updated_at: runtime.now() });
        await announce(trx, 'quoteCreated', revised);
        const [quote] = await load(trx, [revised]);
        return quote!;
      });
    },

    /** Evaluates the approval rules: nothing matches → approved at once; else pending along the chain. */
    async submit(principal: Principal, id: string): Promise<Quote> {
      return change(principal, id, async (trx, row) => {
        if (row.status !== 'draft') throw refuse(row, 'submitted (only a draft can)');
        const [version] = await quoteRepository.currentVersions(trx, [row]);
        const rules = await quoteRepository.listRules(trx, { activeOnly: true });
        const policy = await quoteRepository.findPolicy(trx, row.customer_id);
        const decision = approvalFor(
          { currency: row.currency, total: version!.total, headerDiscountPercent: Number(version!.header_discount_percent), lines: version!.lines },
          rules.map((rule) => ({ ...rule, chain: rule.chain as ApprovalStep[] })),
          policy?.account_approval_above && policy.currency ? { above: policy.account_approval_above, currency: policy.currency } : null,
          principal.kind === 'account' || row.created_by.startsWith('account:'),
        );
        const at = runtime.now();
        const submitted = await quoteRepository.update(trx, id, {
          status: decision.chain.length === 0 ? 'approved' : 'pending_approval',
          approval_rule_id: decision.ruleId,
          approval_chain: decision.chain,
          approval_step: decision.chain.length === 0 ? 0 : 1,
          approval_reason: decision.reasons.join('; '),
          submitted_by: actorOf(principal),
          submitted_at: at,
          updated_at: at,
        });
        await outbox.append(trx, SalesDealEvents.quoteSubmitted, { ...factsOf(submitted), approvalRuleId: decision.ruleId, chain: decision.chain });
        if (decision.chain.length === 0) await announce(trx, 'quoteApproved', submitted);
        const [quote] = await load(trx, [submitted]);
        return quote!;
      });
    },

    /**
     * One decision on the current step: only its role decides, never the submitter (422); the last
     * approval approves the quote, a rejection rejects it.
     */
    async decide(principal: Principal, id: string, body: ApprovalDecisionBody): Promise<Quote> {
      return change(principal, id, async (trx, row) => {
        if (row.status !== 'pending_approval') throw refuse(row, 'approved or rejected (it is not awaiting approval)');
        if (row.submitted_by === actorOf(principal)) throw problem(SalesProblems.ruleViolation, `the submitter of quote ${id} cannot approve or reject it`);
        const step = row.approval_chain[row.approval_step - 1] as ApprovalStep;
        if (!holdsStep(principal, step)) throw problem(Problems.forbidden, `step ${row.approval_step} of quote ${id} awaits ${step}`);
        const at = runtime.now();
        await quoteRepository.insertApproval(trx, { id: runtime.newId(), quote_id: id, quote_version: row.current_version, step: row.approval_step, role: step, decision: body.decision, comment: body.comment ?? null, decided_by: actorOf(principal), decided_at: at });
        const last = row.approval_step >= row.approval_chain.length;
        const next =
          body.decision === 'reject'
            ? await quoteRepository.update(trx, id, { status: 'rejected', updated_at: at })
            : await quoteRepository.update(trx, id, last ? { status: 'approved', updated_at: at } : { approval_step: row.approval_step + 1, updated_at: at });
        await outbox.append(trx, SalesDealEvents.quoteApprovalDecided, { ...factsOf(next), step: row.approval_step, role: step, decision: body.decision, decidedBy: actorOf(principal), decidedAt: at.toISOString() });
        if (body.decision === 'reject') await announce(trx, 'quoteRejected', next);
        else if (last) await announce(trx, 'quoteApproved', next);
        const [quote] = await load(trx, [next]);
        return quote!;
      });
    },

    /** approved → sent; sent → accepted | rejected (the customer's answer). */
    async move(principal: Principal, id: string, to: 'sent' | 'accepted' | 'rejected'): Promise<Quote> {
      const from: QuoteRow['status'] = to === 'sent' ? 'approved' : 'sent';
      return change(principal, id, async (trx, row) => {
        if (row.status !== from) throw refuse(row, `${to} (only a quote that is ${from} can)`);
        const moved = await quoteRepository.update(trx, id, { status: to, updated_at: runtime.now() });
        await announce(trx, to === 'sent' ? 'quoteSent' : to === 'accepted' ? 'quoteAccepted' : 'quoteRejected', moved);
        const [quote] = await load(trx, [moved]);
        return quote!;
      });
    },

    /**
     * The order of an accepted, unexpired quote: its priced lines copied (no re-pricing), the header
     * discount spread over them; tax is not part of the order's sales figure. Once only (409 after).
     */
    async order(principal: Principal, id: string): Promise<Order> {
      return change(principal, id, async (trx, row) => {
        if (row.status === 'ordered') throw problem(SalesProblems.invalidTransition, `quote ${id} is ordered already (order ${row.order_id})`);
        if (row.status !== 'accepted') throw refuse(row, 'ordered (only an accepted quote can)');
        const [version] = await quoteRepository.currentVersions(trx, [row]);
        const { lines } = version!;
        const shares = spreadHeaderDiscount(lines.map((line) => line.amount), version!.discount, row.currency);
        const orderId = runtime.newId();
        const orderLines: OrderLineRow[] = lines.map((line, index) => ({
          order_id: orderId,
          line_no: line.lineNo,
          sku: line.sku,
          category: line.category,
          quantity: String(line.quantity),
          unit_price: line.unitPrice,
          discount_percent: String(line.discountPercent),
          amount: roundToCurrency(new Money$(line.amount).minus(shares[index]!), row.currency),
          price_rule: `quote ${id} v${row.current_version}: ${line.priceRule}${version!.header_discount_percent !== '0' ? `; header discount ${version!.header_discount_percent}% (${shares[index]})` : ''}`,
          returned_quantity: '0',
        }));
        const order = await deps.orders.recordPlaced(trx, principal, orderId, { customerId: row.customer_id, dealerId: row.dealer_id, ownerSubject: row.owner_subject }, row.currency, orderLines);
        await quoteRepository.update(trx, id, { status: 'ordered', order_id: orderId, updated_at: runtime.now() });
        return order;
      });
    },

    async createRule(input: NewApprovalRule): Promise<ApprovalRuleView> {
      const at = runtime.now();
      return ruleOf(await quoteRepository.insertRule(db, { id: runtime.newId(), name: input.name, position: input.position, conditions: JSON.stringify(input.conditions), chain: input.chain, active: input.active, created_at: at, updated_at: at }));
    },

    async rules(): Promise<ApprovalRuleView[]> {
      return (await quoteRepository.listRules(db)).map(ruleOf);
    },

    async rule(id: string): Promise<ApprovalRuleView> {
      const row = await quoteRepository.findRule(db, id);
      if (!row) throw problem(Problems.notFound, `approval rule ${id} does not exist`);
      return ruleOf(row);
    },

    async replaceRule(id: string, input: NewApprovalRule, ifMatch: string | undefined): Promise<ApprovalRuleView> {
      return deps.write(async (trx) => {
        const current = await quoteRepository.findRule(trx, id, { forUpdate: true });
        if (!current) throw problem(Problems.notFound, `approval rule ${id} does not exist`);
        requireIfMatch(ifMatch, current.version);
        return ruleOf(await quoteRepository.updateRule(trx, id, { name: input.name, position: input.position, conditions: JSON.stringify(input.conditions), chain: input.chain, active: input.active, updated_at: runtime.now() }));
      });
    },

    /** An organisation's own approval threshold (Dell Premier); only organisation customers have one. */
    async putPolicy(customerId: string, body: ApprovalPolicyBody) {
      const customer = await customerDirectory.find(db, await customerDirectory.finalSurvivorOf(db, customerId));
      if (!customer) throw problem(Problems.notFound, `customer ${customerId} does not exist`);
      if (customer.kind !== 'organization') throw problem(SalesProblems.ruleViolation, `customer ${customerId} is not an organisation: only organisations have account users and an approval policy`);
      const row = await quoteRepository.putPolicy(db, { customer_id: customer.id, account_approval_above: body.accountApprovalAbove?.amount ?? null, currency: body.accountApprovalAbove?.currency ?? null, updated_at: runtime.now() });
      return policyOf(row.customer_id, row);
    },

    async policy(principal: Principal, customerId: string) {
      const id = await customerDirectory.finalSurvivorOf(db, customerId);
      if (principal.kind === 'account' && principal.customerId !== id) throw problem(Problems.notFound, `customer ${customerId} does not exist`);
      return policyOf(id, await quoteRepository.findPolicy(db, id));
    },

    /** Merge: the duplicate's quotes are the survivor's. Erasure: its quotes and their decisions go. Export: the quotes. */
    lifecycle: {
      merged: (trx, mergedId, survivorId) => quoteRepository.moveCustomer(trx, mergedId, survivorId),
      erased: (trx, ids) => quoteRepository.deleteForCustomers(trx, ids),
      exported: async (executor, ids) => {
        const quotes = await load(executor, await quoteRepository.ofCustomers(executor, ids));
        return { quotes: quotes.map((quote) => ({ ...quote })) };
      },
    } satisfies CustomerLifecycle,
  });
}
export type QuoteService = ReturnType<typeof createQuoteService>;

const policyOf = (customerId: string, row: { account_approval_above: string | null; currency: string | null } | undefined) => ({
  customerId,
  accountApprovalAbove: row?.account_approval_above != null && row.currency != null ? { amount: row.account_approval_above, currency: row.currency } : null,
});
