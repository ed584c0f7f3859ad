import { sql } from 'kysely';
import type { ScoringDb } from '../db/tables';
import { compileTierExpression } from './tier-rule.repository';
import type { TierDefinition } from './tier-set.rules';

export type TierChangeReason = 'rules' | 'override' | 'override-expired' | 'grace-period-ended';

export interface TierChange {
  customer_id: string;
  from_tier: string | null;
  to_tier: string;
  reason: TierChangeReason;
}

/** The tier assignment (see tier-assignment.service.ts): one statement over customer_score, overrides and pending downgrades. */
export const tierAssignmentRepository = Object.freeze({
  /**
   * Decides every customer's tier (or the given customers') at `at` and writes the changes: customer_score.tier,
   * tier_history, pending downgrades, expired overrides. Downgrades pending since before `cutoff` apply.
   * Returns the changes in customer order.
   */
  async assign(trx: ScoringDb, { tiers, at, cutoff, customerIds }: { tiers: readonly TierDefinition[]; at: string; cutoff: string; customerIds?: readonly string[] | undefined }): Promise<TierChange[]> {
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
    return rows;
  },
});
