import { ScoringEvents } from '@crm/domain';
import { allowLongStatements, lockForTransaction, type Outbox, type Runtime } from '@crm/platform';
import { sql } from 'kysely';
import { ScoringLocks, type ScoringDb } from '../../db/scoring.repository';
import { compileTierExpression } from '../rules';
import { loadTierSet } from './tier-set.repository';

export interface TierContext {
  outbox: Outbox;
  runtime: Runtime;
  /** How long a lower rule tier must hold before a downgrade applies (config SCORING_TIER_GRACE_DAYS); 30 by default. */
  graceDays?: number;
}

export const DEFAULT_TIER_GRACE_DAYS = 30;
export type TierChangeReason = 'rules' | 'override' | 'override-expired' | 'grace-period-ended';

const DAY_MS = 86_400_000;
/** Events per outbox statement: bounded statement size however many customers change. */
const EVENT_CHUNK = 5_000;

interface TierChange {
  customer_id: string;
  from_tier: string | null;
  to_tier: string;
  reason: TierChangeReason;
}

/**
 * Re-evaluates tiers from `customer_score` (all customers, or the ones given), in one set-based
 * statement:
 *   - an unexpired manual override (tier_override) wins (reason `override`); an expired one is
 *     deleted and the customer goes straight to the rule tier (`override-expired`);
 *   - otherwise the rule tier (compileTierExpression over the current tier set): upgrades, and
 *     customers without a known tier, change at once (`rules`);
 *   - a downgrade waits: tier_downgrade_pending records since when the customer qualifies only for a
 *     lower tier (its candidate follows the latest rule tier, `since` stays); once that has held for
 *     the grace period the downgrade applies (`grace-period-ended`). A recovery to the current tier
 *     or above clears the pending row. A grace period of 0 downgrades at once (`rules`).
 * Every change updates customer_score.tier, adds a tier_history row and appends
 * `crm.scoring.tier-changed.v1`, all in `trx`. Assignments are serialised by a transaction-level
 * advisory lock, so concurrent runs and overrides never interleave.
 */
export async function assignTiers(trx: ScoringDb, context: TierContext, customerIds?: readonly string[]): Promise<{ changed: number }> {
  if (customerIds && customerIds.length === 0) return { changed: 0 };
  if (!customerIds) await allowLongStatements(trx);
  await lockForTransaction(trx, ScoringLocks.tierAssignment);
  const { tiers } = await loadTierSet(trx);
  const now = context.runtime.now();
  const graceDays = context.graceDays ?? DEFAULT_TIER_GRACE_DAYS;
  const at = now.toISOString();
  const cutoff = new Date(now.getTime() - graceDays * DAY_MS).toISOString();
  const scope = customerIds ? sql`where s.customer_id = any(cast(${[...customerIds]} as uuid[]))` : sql``;

  const { rows } = await sql<TierChange>`
    with ranks as (
      select r.name, r.rank from unnest(cast(${tiers.map((t) => t.name)} as text[]), cast(${tiers.map((t) => t.rank)} as integer[])) as r(name, rank)
    ),
    evaluated as (
      select s.customer_id, s.tier as current_tier, ${compileTierExpression(tiers)} as rule_tier,
        o.customer_id is not null as has_override, o.tier as override_tier,
        (o.customer_id is not null and (o.expires_at is null or o.expires_at > cast(${at} as timestamptz))) as override_active,
        p.since as pending_since
      from scoring.customer_score s
      left join scoring.tier_override o on o.customer_id = s.customer_id
      left join scoring.tier_downgrade_pending p on p.customer_id = s.customer_id
      ${scope}
    ),
    classified as (
      select e.*, (not e.has_override and cr.rank is not null and rr.rank > cr.rank) as downgrade
      from evaluated e
      left join ranks cr on cr.name = e.current_tier
      left join ranks rr on rr.name = e.rule_tier
    ),
    decided as (
      select c.*,
        (c.downgrade and coalesce(c.pending_since, cast(${at} as timestamptz)) > cast(${cutoff} as timestamptz)) as waiting
      from classified c
    ),
    changed as (
      select customer_id, current_tier as from_tier,
        case when override_active then override_tier when waiting then current_tier else rule_tier end as to_tier,
        case
          when override_active then 'override'
          when has_override then 'override-expired'
          when downgrade and pending_since is not null then 'grace-period-ended'
          else 'rules'
        end as reason
      from decided
    ),
    changes as (
      select * from changed where to_tier is distinct from from_tier
    ),
    scored as (
      update scoring.customer_score s set tier = c.to_tier from changes c where s.customer_id = c.customer_id
    ),
    history as (
      insert into scoring.tier_history (customer_id, from_tier, to_tier, reason, changed_at)
      select customer_id, from_tier, to_tier, reason, cast(${at} as timestamptz) from changes order by customer_id
    ),
    cleared as (
      delete from scoring.tier_downgrade_pending p using decided d where p.customer_id = d.customer_id and not d.waiting
    ),
    pending as (
      insert into scoring.tier_downgrade_pending (customer_id, candidate_tier, since)
      select customer_id, rule_tier, cast(${at} as timestamptz) from decided where waiting
      on conflict (customer_id) do update set candidate_tier = excluded.candidate_tier
    ),
    expired as (
      delete from scoring.tier_override o using decided d where o.customer_id = d.customer_id and d.has_override and not d.override_active
    )
    select customer_id, from_tier, to_tier, reason from changes order by customer_id`.execute(trx);

  for (let i = 0; i < rows.length; i += EVENT_CHUNK) {
    const events = rows.slice(i, i + EVENT_CHUNK).map((row) => ({ customerId: row.customer_id, from: row.from_tier, to: row.to_tier, reason: row.reason }));
    await context.outbox.appendMany(trx, ScoringEvents.tierChanged, events);
  }
  return { changed: rows.length };
}
