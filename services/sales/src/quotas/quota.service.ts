import { SalesOpportunityEvents, type Principal } from '@crm/domain';
import { decodeCursor, paginate, problem, Problems, type Outbox, type Runtime } from '@crm/platform';
import { z } from 'zod';
import type { SalesDb } from '../db/tables';
import { SalesProblems } from '../sales.problems';
import { quotaRepository, type QuotaRow } from './quota.repository';
import type { NewQuota, Quota, QuotaListQuery } from './quota.schemas';
import { callerScope } from '../ownership/caller-scope';

const IdCursor = z.object({ id: z.uuid() });
const UUID = z.uuid();

/** Targets per period for reps, teams, dealers and product lines, in the base currency (forecasts hold them against). */
export function createQuotaService(deps: { db: SalesDb; runtime: Runtime; outbox: Outbox; write: <T>(work: (trx: SalesDb) => Promise<T>) => Promise<T>; baseCurrency: string }) {
  const { db, runtime, outbox, baseCurrency } = deps;
  const quotaOf = (row: QuotaRow): Quota => ({
    id: row.id,
    period: row.period,
    dimension: row.dimension,
    target: row.target,
    amount: { amount: row.amount, currency: baseCurrency },
    version: row.version,
    setAt: row.set_at.toISOString(),
    setBy: row.set_by,
  });

  /** An admin sets any quota; a sales manager those of the teams it manages and of their members. */
  const checkMaySet = async (executor: SalesDb, principal: Principal, input: NewQuota) => {
    if (principal.kind !== 'staff' || principal.roles.includes('admin')) return;
    const managed = await quotaRepository.managedBy(executor, principal.subject);
    const allowed = (input.dimension === 'team' && managed.teams.includes(input.target)) || (input.dimension === 'owner' && managed.members.includes(input.target));
    if (!allowed) throw problem(Problems.forbidden, 'a sales manager sets the quotas of the teams it manages and of their members only');
  };

  return Object.freeze({
    async set(principal: Principal, input: NewQuota): Promise<{ quota: Quota; created: boolean }> {
      if (input.amount.currency !== baseCurrency) throw problem(SalesProblems.ruleViolation, `amount: quotas are in the base currency ${baseCurrency}`);
      if ((input.dimension === 'team' || input.dimension === 'dealer') && !UUID.safeParse(input.target).success) {
        throw problem(SalesProblems.ruleViolation, `target: a ${input.dimension} is named by its id`);
      }
      return deps.write(async (trx) => {
        await checkMaySet(trx, principal, input);
        if (input.dimension === 'team' && !(await quotaRepository.teamExists(trx, input.target))) throw problem(SalesProblems.ruleViolation, `target: no sales team ${input.target}`);
        const at = runtime.now();
        const row = await quotaRepository.upsert(trx, { id: runtime.newId(), period: input.period, dimension: input.dimension, target: input.target, amount: input.amount.amount, at, by: `${principal.kind}:${principal.subject}` });
        const quota = quotaOf(row);
        await outbox.append(trx, SalesOpportunityEvents.quotaSet, { quotaId: quota.id, period: quota.period, dimension: quota.dimension, target: quota.target, amount: quota.amount, version: quota.version, setAt: quota.setAt });
        return { quota, created: row.version === 1 };
      });
    },

    async list(principal: Principal, query: QuotaListQuery) {
      const after = decodeCursor(query.cursor, IdCursor);
      const scope = await callerScope(db, principal);
      const rows = await quotaRepository.list(db, scope, { period: query.period, dimension: query.dimension, after: after?.id, limit: query.limit + 1 });
      return paginate(rows, query.limit, quotaOf, (row) => ({ id: row.id }));
    },
  });
}
export type QuotaService = ReturnType<typeof createQuotaService>;
