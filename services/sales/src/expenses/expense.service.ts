import { calendarDate, Money$, roundToCurrency, SalesActivityEvents, type Principal } from '@crm/domain';
import { decodeCursor, encodeCursor, idempotencyScope, onceForKey, problem, Problems, requestHash, requireIfMatch, type Outbox, type Runtime } from '@crm/platform';
import { z } from 'zod';
import type { SalesDb } from '../db/tables';
import { inScope, type SalesScope } from '../ownership/ownership';
import { SalesProblems } from '../sales.problems';
import { teamRepository } from '../teams/team.repository';
import { expenseRepository, type ExpenseClaimRow, type ExpenseItemRow } from './expense.repository';
import type { Decision, ExpenseClaim, ExpenseClaimListQuery, NewExpenseClaim, Rejection } from './expense.schemas';

/** The exact total per currency, in currency order. */
export function totalsOf(items: readonly { amount: string; currency: string }[]): { currency: string; amount: string }[] {
  const sums = new Map<string, InstanceType<typeof Money$>>();
  for (const item of items) sums.set(item.currency, (sums.get(item.currency) ?? new Money$(0)).plus(item.amount));
  return [...sums.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([currency, sum]) => ({ currency, amount: roundToCurrency(sum, currency) }));
}

const claimOf = (row: ExpenseClaimRow, items: ExpenseItemRow[]): ExpenseClaim => {
  const own = items.filter((item) => item.claim_id === row.id);
  return {
    id: row.id,
    claimantSubject: row.claimant_subject,
    title: row.title,
    status: row.status,
    items: own.map((item) => ({
      lineNo: item.line_no,
      date: item.spent_on,
      category: item.category,
      amount: { amount: roundToCurrency(item.amount, item.currency), currency: item.currency },
      description: item.description,
      receiptRef: item.receipt_ref,
    })),
    totals: totalsOf(own),
    submittedAt: row.submitted_at?.toISOString() ?? null,
    decidedAt: row.decided_at?.toISOString() ?? null,
    decidedBy: row.decided_by,
    decisionComment: row.decision_comment,
    paidAt: row.paid_at?.toISOString() ?? null,
    paidBy: row.paid_by,
    createdAt: row.created_at.toISOString(),
    version: row.version,
  };
};

const Cursor = z.object({ at: z.iso.datetime(), id: z.uuid() });

/**
 * Reps' expense claims: draft → submitted → approved | rejected (by a manager of a team the claimant is
 * in, or admin; never the claimant) → paid (finance). A rep sees its own, a manager its teams', finance
 * and admin all.
 */
export function createExpenseService(deps: { db: SalesDb; runtime: Runtime; outbox: Outbox; write: <T>(work: (trx: SalesDb) => Promise<T>) => Promise<T>; timeZone: string }) {
  const { db, runtime, outbox } = deps;

  const scopeOf = async (executor: SalesDb, principal: Principal): Promise<SalesScope> => {
    if (principal.kind !== 'staff') return { kind: 'owners', subjects: [] };
    if (principal.roles.some((role) => role === 'admin' || role === 'finance')) return { kind: 'all' };
    if (principal.roles.includes('sales-manager')) return { kind: 'owners', subjects: await teamRepository.visibleSubjects(executor, principal.subject) };
    return { kind: 'owners', subjects: [principal.subject] };
  };
  const visibleClaim = async (executor: SalesDb, principal: Principal, id: string, forUpdate = false) => {
    const row = await expenseRepository.find(executor, id, { forUpdate });
    if (!row || !inScope(await scopeOf(executor, principal), { owner_subject: row.claimant_subject })) throw problem(Problems.notFound, `expense claim ${id} does not exist`);
    return row;
  };
  const load = async (executor: SalesDb, row: ExpenseClaimRow) => claimOf(row, await expenseRepository.itemsOf(executor, [row.id]));

  const itemRows = (claimId: string, input: NewExpenseClaim): ExpenseItemRow[] => {
    const today = calendarDate(runtime.now(), deps.timeZone);
    return input.items.map((item, index) => {
      if (item.date > today) throw problem(SalesProblems.ruleViolation, `items.${index}: ${item.date} is after today (${today}): claim what was spent`);
      return { claim_id: claimId, line_no: index + 1, spent_on: item.date, category: item.category, amount: item.amount.amount, currency: item.amount.currency, description: item.description, receipt_ref: item.receiptRef ?? null };
    });
  };
  const onlyClaimant = (principal: Principal, row: ExpenseClaimRow, action: string) => {
    if (row.claimant_subject !== principal.subject) throw problem(Problems.forbidden, `only the claimant ${action} a claim`);
  };

  /** Approve or reject: a submitted claim, by admin or a manager of the claimant's team, never by the claimant. */
  const decide = (principal: Principal, id: string, decision: 'approved' | 'rejected', comment: string | undefined) =>
    deps.write(async (trx) => {
      const current = await visibleClaim(trx, principal, id, true);
      if (current.claimant_subject === principal.subject) throw problem(Problems.forbidden, 'a claimant never decides its own claim');
      const isAdmin = principal.kind === 'staff' && principal.roles.includes('admin');
      if (!isAdmin && !(await expenseRepository.manages(trx, principal.subject, current.claimant_subject))) {
        throw problem(Problems.forbidden, `only a manager of a team ${current.claimant_subject} is in, or admin, decides this claim`);
      }
      if (current.status !== 'submitted') throw problem(SalesProblems.invalidTransition, `expense claim ${id} is ${current.status}: only a submitted claim is decided`);
      const at = runtime.now();
      const row = await expenseRepository.update(trx, id, { status: decision, decided_at: at, decided_by: principal.subject, decision_comment: comment ?? null, updated_at: at });
      await outbox.append(trx, SalesActivityEvents.expenseClaimDecided, { claimId: id, claimantSubject: row.claimant_subject, decision, decidedBy: principal.subject, decidedAt: at.toISOString() });
      return load(trx, row);
    });

  return Object.freeze({
    async create(principal: Principal, input: NewExpenseClaim, idempotencyKey: string | undefined): Promise<ExpenseClaim> {
      const stored = await deps.write((trx) =>
        onceForKey(trx, { scope: idempotencyScope('expense-claims.create', principal), key: idempotencyKey, hash: requestHash(input) }, async () => {
          const id = runtime.newId();
          const at = runtime.now();
          const items = itemRows(id, input);
          const row = await expenseRepository.insert(trx, { id, claimant_subject: principal.subject, title: input.title, status: 'draft', created_at: at, updated_at: at }, items);
          return { statusCode: 201, body: claimOf(row, items) };
        }),
      );
      return stored.body as ExpenseClaim;
    },

    async get(principal: Principal, id: string): Promise<ExpenseClaim> {
      return load(db, await visibleClaim(db, principal, id));
    },

    async list(principal: Principal, query: ExpenseClaimListQuery) {
      const before = decodeCursor(query.cursor, Cursor);
      const rows = await expenseRepository.list(db, await scopeOf(db, principal), {
        status: query.status,
        claimantSubject: query.claimantSubject,
        before: before ? { at: new Date(before.at), id: before.id } : undefined,
        limit: query.limit + 1,
      });
      const page = rows.slice(0, query.limit);
      const items = await expenseRepository.itemsOf(db, page.map((row) => row.id));
      const last = page.at(-1);
      return { items: page.map((row) => claimOf(row, items)), nextCursor: rows.length > query.limit && last ? encodeCursor({ at: last.created_at.toISOString(), id: last.id }) : null };
    },

    async replace(principal: Principal, id: string, input: NewExpenseClaim, ifMatch: string | undefined): Promise<ExpenseClaim> {
      return deps.write(async (trx) => {
        const current = await visibleClaim(trx, principal, id, true);
        onlyClaimant(principal, current, 'changes');
        requireIfMatch(ifMatch, current.version);
        if (current.status !== 'draft') throw problem(SalesProblems.invalidTransition, `expense claim ${id} is ${current.status}: only a draft changes`);
        return load(trx, await expenseRepository.replace(trx, id, input.title, itemRows(id, input), runtime.now()));
      });
    },

    async submit(principal: Principal, id: string): Promise<ExpenseClaim> {
      return deps.write(async (trx) => {
        const current = await visibleClaim(trx, principal, id, true);
        onlyClaimant(principal, current, 'submits');
        if (current.status !== 'draft') throw problem(SalesProblems.invalidTransition, `expense claim ${id} is ${current.status}: only a draft is submitted`);
        const at = runtime.now();
        const claim = await load(trx, await expenseRepository.update(trx, id, { status: 'submitted', submitted_at: at, updated_at: at }));
        await outbox.append(trx, SalesActivityEvents.expenseClaimSubmitted, { claimId: id, claimantSubject: claim.claimantSubject, submittedAt: at.toISOString(), totals: claim.totals });
        return claim;
      });
    },

    approve: (principal: Principal, id: string, input: Decision) => decide(principal, id, 'approved', input.comment),
    reject: (principal: Principal, id: string, input: Rejection) => decide(principal, id, 'rejected', input.comment),

    async pay(principal: Principal, id: string): Promise<ExpenseClaim> {
      return deps.write(async (trx) => {
        const current = await visibleClaim(trx, principal, id, true);
        if (current.claimant_subject === principal.subject) throw problem(Problems.forbidden, 'a claimant never pays its own claim');
        if (current.status !== 'approved') throw problem(SalesProblems.invalidTransition, `expense claim ${id} is ${current.status}: only an approved claim is paid`);
        const at = runtime.now();
        const claim = await load(trx, await expenseRepository.update(trx, id, { status: 'paid', paid_at: at, paid_by: principal.subject, updated_at: at }));
        await outbox.append(trx, SalesActivityEvents.expenseClaimPaid, { claimId: id, claimantSubject: claim.claimantSubject, paidAt: at.toISOString(), totals: claim.totals });
        return claim;
      });
    },
  });
}
export type ExpenseService = ReturnType<typeof createExpenseService>;
