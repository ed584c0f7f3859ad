import { calendarDate, Money$, roundToCurrency, SalesDealEvents, type Amount, type Principal } from '@crm/domain';
import { decodeCursor, lockForTransaction, paginate, problem, Problems, requireIfMatch, type Outbox, type Runtime } from '@crm/platform';
import { z } from 'zod';
import type { SalesDb } from '../db/tables';
import { teamRepository } from '../teams/team.repository';
import { accrue, clawBack } from './commission.rules';
import { commissionRepository, type CommissionLineRow, type NewCommissionLine, type PlanRow } from './commission.repository';
import type { CommissionPlan, CommissionStatement, NewCommissionPlan, StatementQuery } from './commission.schemas';
import type { ExchangeRates } from '../exchange-rates/exchange-rates';
import { activityRepository } from '../activities/activity.repository';
import type { SalesScope } from '../ownership/ownership';

/** What the order service tells commissions, inside the order's own transaction. */
export interface OrderCommissionHook {
  placed(trx: SalesDb, order: { id: string; ownerSubject: string | null; dealerId: string | null; currency: string; placedAt: Date; lines: readonly { lineNo: number; category: string | null; amount: string }[] }): Promise<void>;
  returned(trx: SalesDb, ret: { orderId: string; returnId: string; returnedAt: Date; lines: readonly { lineNo: number; amount: string }[] }): Promise<void>;
  cancelled(trx: SalesDb, order: { orderId: string; cancelledAt: Date }): Promise<void>;
}

const planOf = (row: PlanRow): CommissionPlan => ({
  id: row.id,
  name: row.name,
  currency: row.currency,
  tiers: row.tiers,
  split: { repPercent: Number(row.rep_split), dealerPercent: Number(row.dealer_split) },
  reps: row.reps,
  dealers: row.dealers,
  validFrom: row.valid_from,
  validTo: row.valid_to,
  activityBonus: row.activity_bonus,
  version: row.version,
});

const planRowOf = (input: NewCommissionPlan) => ({
  name: input.name,
  currency: input.currency,
  tiers: JSON.stringify(input.tiers),
  rep_split: String(input.split.repPercent),
  dealer_split: String(input.split.dealerPercent),
  reps: input.reps,
  dealers: input.dealers,
  valid_from: input.validFrom,
  valid_to: input.validTo,
  activity_bonus: input.activityBonus === null ? null : JSON.stringify(input.activityBonus),
});

/** Every line says where its amount comes from. */
function explain(line: CommissionLineRow): string {
  const source = line.kind === 'accrual' ? `order ${line.order_id} line ${line.order_line_no}` : `return ${line.return_id ?? '(cancellation)'} of order ${line.order_id} line ${line.order_line_no}`;
  const what = `${source} (${line.category ?? 'no category'}): ${line.order_amount} ${line.order_currency}`;
  if (line.status === 'unconverted') return `${what}, not converted into ${line.currency}: no commission until a rate is known`;
  return `${what} → base ${line.base} ${line.currency} × ${line.rate}% (tier ${line.tier}) × ${line.payee_kind} split ${line.split_percent}% = ${line.amount} ${line.currency}`;
}

const IdCursor = z.object({ id: z.uuid() });

/**
 * Commission plans, accruals and statements. Accrual happens in the order's own transaction (a hook the
 * order service calls): the tier a line earns depends on the payee's attainment at that moment, and an
 * order, its commission and the event announcing it then commit or fail together.
 */
export function createCommissionService(deps: {
  db: SalesDb;
  runtime: Runtime;
  outbox: Outbox;
  write: <T>(work: (trx: SalesDb) => Promise<T>) => Promise<T>;
  timeZone: string;
  baseCurrency: string;
  /** Orders in another currency than a plan's convert at scoring's rates (a plan in another currency than the base converts only its own). */
  converter: Pick<ExchangeRates, 'toBase'>;
}) {
  const { db, runtime, outbox } = deps;
  const periodOf = (at: Date) => calendarDate(at, deps.timeZone).slice(0, 7);

  /**
   * The payee's plan's pay for its completed activities in the month (the plan in force on the month's
   * last day, or today when the month is still running): count × the plan's amount per activity.
   */
  const activityBonusesOf = async (payeeKind: 'rep' | 'dealer', payee: string, period: string): Promise<CommissionStatement['activityBonuses']> => {
    const [year, month] = period.split('-').map(Number) as [number, number];
    const lastDay = new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10);
    const today = calendarDate(runtime.now(), deps.timeZone);
    const plans = await commissionRepository.plansFor(db, { rep: payeeKind === 'rep' ? payee : null, dealerId: payeeKind === 'dealer' ? payee : null, date: today < lastDay ? today : lastDay });
    const plan = payeeKind === 'rep' ? plans.rep : plans.dealer;
    const bonus = plan?.activity_bonus;
    if (!plan || !bonus) return [];
    const scope: SalesScope = payeeKind === 'rep' ? { kind: 'owners', subjects: [payee] } : { kind: 'dealer', dealerId: payee };
    const counts = await activityRepository.countsByPeriod(db, scope, { fromMonth: period, toMonth: period, timeZone: deps.timeZone, groupBy: payeeKind === 'rep' ? 'owner' : 'dealer' });
    const activities = counts.filter((row) => bonus.kinds.includes(row.kind)).reduce((sum, row) => sum + Number(row.count), 0);
    const amount = roundToCurrency(new Money$(bonus.perActivity).times(activities), plan.currency);
    const explanation = `${activities} completed ${bonus.kinds.join(', ')} in ${period} × ${bonus.perActivity} ${plan.currency} (plan "${plan.name}")`;
    return [{ planId: plan.id, currency: plan.currency, kinds: bonus.kinds, activities, perActivity: bonus.perActivity, amount, explanation }];
  };

  /** An order's amount in the plan's currency, rounded to it; null when no conversion is known. */
  const convert = async (executor: SalesDb, amount: string, from: string, to: string): Promise<string | null> => {
    if (from === to) return amount;
    if (to !== deps.baseCurrency) return null;
    const converted = await deps.converter.toBase(executor, amount, from);
    return converted === null ? null : roundToCurrency(converted, to);
  };

  const announce = async (trx: SalesDb, rows: readonly NewCommissionLine[], facts: { orderId: string; returnId: string | null; kind: 'accrual' | 'clawback'; period: string; at: Date }) => {
    if (rows.length === 0) return;
    const payees = new Map<string, { planId: string; payeeKind: 'rep' | 'dealer'; payee: string; currency: string; amount: Amount; unconvertedLines: number }>();
    for (const row of rows) {
      const key = `${row.plan_id}/${row.payee_kind}/${row.payee}`;
      const sum = payees.get(key) ?? { planId: row.plan_id, payeeKind: row.payee_kind, payee: row.payee, currency: row.currency, amount: new Money$(0), unconvertedLines: 0 };
      if (row.amount == null) sum.unconvertedLines += 1;
      else sum.amount = sum.amount.plus(row.amount);
      payees.set(key, sum);
    }
    await outbox.append(trx, SalesDealEvents.commissionAccrued, {
      ...facts,
      at: facts.at.toISOString(),
      payees: [...payees.values()].map((p) => ({ ...p, amount: roundToCurrency(p.amount, p.currency) })),
    });
  };

  /** Clawback lines for the returned share of each accrual line (share by order line number). */
  const clawBackLines = async (trx: SalesDb, orderId: string, returnId: string | null, at: Date, shareOf: (accrual: CommissionLineRow) => Amount | undefined) => {
    const period = periodOf(at);
    const rows: NewCommissionLine[] = [];
    for (const accrual of await commissionRepository.accrualsOf(trx, orderId)) {
      const share = shareOf(accrual);
      if (!share || share.isZero()) continue;
      const taken = clawBack({ base: accrual.base, amount: accrual.amount, orderAmount: accrual.order_amount }, share, { order: accrual.order_currency, plan: accrual.currency });
      rows.push({
        ...accrual,
        id: runtime.newId(),
        period,
        booked_at: at,
        kind: 'clawback',
        return_id: returnId,
        reverses: accrual.id,
        order_amount: taken.orderAmount,
        base: taken.base,
        amount: taken.amount,
      });
    }
    await commissionRepository.insertLines(trx, rows);
    await announce(trx, rows, { orderId, returnId, kind: 'clawback', period, at });
  };

  const hook: OrderCommissionHook = {
    async placed(trx, order) {
      const date = calendarDate(order.placedAt, deps.timeZone);
      const period = date.slice(0, 7);
      const plans = await commissionRepository.plansFor(trx, { rep: order.ownerSubject, dealerId: order.dealerId, date });
      const payees = [
        ...(plans.rep && order.ownerSubject ? [{ kind: 'rep' as const, payee: order.ownerSubject, plan: plans.rep, split: Number(plans.rep.rep_split) }] : []),
        ...(plans.dealer && order.dealerId ? [{ kind: 'dealer' as const, payee: order.dealerId, plan: plans.dealer, split: Number(plans.dealer.dealer_split) }] : []),
      ].filter((p) => p.split > 0);
      // Two orders of one payee at once must not both read the attainment before either (the tier would be wrong).
      await lockForTransaction(trx, payees.map((p) => `commission:${p.plan.id}:${p.kind}:${p.payee}:${period}`));
      const rows: NewCommissionLine[] = [];
      for (const { kind, payee, plan, split } of payees) {
        const lines = [];
        for (const line of order.lines) lines.push({ lineNo: line.lineNo, category: line.category, orderAmount: line.amount, base: await convert(trx, line.amount, order.currency, plan.currency) });
        const attainmentBefore = await commissionRepository.attainment(trx, { planId: plan.id, payeeKind: kind, payee, period });
        for (const accrued of accrue({ tiers: plan.tiers, splitPercent: split, currency: plan.currency, attainmentBefore, lines })) {
          rows.push({
            id: runtime.newId(),
            plan_id: plan.id,
            payee_kind: kind,
            payee,
            period,
            booked_at: order.placedAt,
            kind: 'accrual',
            order_id: order.id,
            order_line_no: accrued.lineNo,
            return_id: null,
            reverses: null,
            category: accrued.category,
            order_currency: order.currency,
            order_amount: accrued.orderAmount,
            base: accrued.base,
            currency: plan.currency,
            tier: accrued.tier,
            rate: String(accrued.rate),
            split_percent: String(accrued.splitPercent),
            amount: accrued.amount,
            status: accrued.base === null ? 'unconverted' : 'converted',
          });
        }
      }
      await commissionRepository.insertLines(trx, rows);
      await announce(trx, rows, { orderId: order.id, returnId: null, kind: 'accrual', period, at: order.placedAt });
    },

    async returned(trx, ret) {
      const returned = new Map(ret.lines.map((line) => [line.lineNo, line.amount]));
      await clawBackLines(trx, ret.orderId, ret.returnId, ret.returnedAt, (accrual) => {
        const amount = returned.get(accrual.order_line_no);
        return amount === undefined || new Money$(accrual.order_amount).isZero() ? undefined : new Money$(amount).dividedBy(accrual.order_amount);
      });
    },

    // An order with returns cannot be cancelled, so a cancellation takes back every accrual in full.
    async cancelled(trx, order) {
      await clawBackLines(trx, order.orderId, null, order.cancelledAt, () => new Money$(1));
    },
  };

  /** Whose statement the principal may read: a rep its own, a manager its teams', a dealer its own, admin and finance all. */
  const mayRead = async (principal: Principal, payeeKind: 'rep' | 'dealer', payee: string) => {
    switch (principal.kind) {
      case 'integration':
        return true;
      case 'dealer':
        return payeeKind === 'dealer' && payee === principal.dealerId;
      case 'account':
        return false;
      case 'staff':
        if (principal.roles.includes('admin') || principal.roles.includes('finance')) return true;
        if (payeeKind !== 'rep') return false;
        if (principal.roles.includes('sales-manager')) return (await teamRepository.visibleSubjects(db, principal.subject)).includes(payee);
        return payee === principal.subject;
    }
  };

  return Object.freeze({
    hook,

    async createPlan(input: NewCommissionPlan): Promise<CommissionPlan> {
      const at = runtime.now();
      return planOf(await commissionRepository.insertPlan(db, { id: runtime.newId(), ...planRowOf(input), created_at: at, updated_at: at }));
    },

    async plan(id: string): Promise<CommissionPlan> {
      const row = await commissionRepository.findPlan(db, id);
      if (!row) throw problem(Problems.notFound, `commission plan ${id} does not exist`);
      return planOf(row);
    },

    async plans(page: { limit: number; cursor?: string }) {
      const after = decodeCursor(page.cursor, IdCursor);
      const rows = await commissionRepository.listPlans(db, { after: after?.id, limit: page.limit + 1 });
      return paginate(rows, page.limit, planOf, (row) => ({ id: row.id }));
    },

    /** Applies to orders placed from now on; what has accrued stays as it was booked. */
    async replacePlan(id: string, input: NewCommissionPlan, ifMatch: string | undefined): Promise<CommissionPlan> {
      return deps.write(async (trx) => {
        const current = await commissionRepository.findPlan(trx, id, { forUpdate: true });
        if (!current) throw problem(Problems.notFound, `commission plan ${id} does not exist`);
        requireIfMatch(ifMatch, current.version);
        return planOf(await commissionRepository.updatePlan(trx, id, { ...planRowOf(input), updated_at: runtime.now() }));
      });
    },

    async statement(principal: Principal, query: StatementQuery): Promise<CommissionStatement> {
      const payeeKind = query.payeeKind ?? (principal.kind === 'dealer' ? 'dealer' : 'rep');
      const payee = query.payee ?? (principal.kind === 'dealer' ? principal.dealerId : principal.subject);
      if (!(await mayRead(principal, payeeKind, payee))) throw problem(Problems.notFound, `no commission statement of ${payeeKind} ${payee}`);
      const lines = await commissionRepository.statement(db, { payeeKind, payee, period: query.period });
      const bonuses = await activityBonusesOf(payeeKind, payee, query.period);
      const totals = new Map<string, { planId: string; currency: string; accrued: Amount; clawedBack: Amount; activityBonus: Amount; unconvertedLines: number }>();
      const totalOf = (planId: string, currency: string) =>
        totals.get(planId) ?? { planId, currency, accrued: new Money$(0), clawedBack: new Money$(0), activityBonus: new Money$(0), unconvertedLines: 0 };
      for (const bonus of bonuses) totals.set(bonus.planId, { ...totalOf(bonus.planId, bonus.currency), activityBonus: new Money$(bonus.amount) });
      for (const line of lines) {
        const sum = totalOf(line.plan_id, line.currency);
        if (line.amount === null) sum.unconvertedLines += 1;
        else if (line.kind === 'accrual') sum.accrued = sum.accrued.plus(line.amount);
        else sum.clawedBack = sum.clawedBack.plus(line.amount);
        totals.set(line.plan_id, sum);
      }
      return {
        payeeKind,
        payee,
        period: query.period,
        activityBonuses: bonuses,
        lines: lines.map((line) => ({
          id: line.id,
          kind: line.kind,
          bookedAt: line.booked_at.toISOString(),
          planId: line.plan_id,
          orderId: line.order_id,
          orderLineNo: line.order_line_no,
          returnId: line.return_id,
          category: line.category,
          orderCurrency: line.order_currency,
          orderAmount: line.order_amount,
          base: line.base,
          currency: line.currency,
          tier: line.tier,
          rate: Number(line.rate),
          splitPercent: Number(line.split_percent),
          amount: line.amount,
          status: line.status,
          explanation: explain(line),
        })),
        totals: [...totals.values()].map((t) => ({
          planId: t.planId,
          currency: t.currency,
          accrued: roundToCurrency(t.accrued, t.currency),
          clawedBack: roundToCurrency(t.clawedBack, t.currency),
          activityBonus: roundToCurrency(t.activityBonus, t.currency),
          total: roundToCurrency(t.accrued.plus(t.clawedBack).plus(t.activityBonus), t.currency),
          unconvertedLines: t.unconvertedLines,
        })),
      };
    },
  });
}
export type CommissionService = ReturnType<typeof createCommissionService>;
