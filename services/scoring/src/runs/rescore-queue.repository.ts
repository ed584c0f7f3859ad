import { sql } from 'kysely';
import type { ScoringDb } from '../db/tables';

/** A claimed row: the ticket tells whether someone queued the customer again while it was being rescored. */
export interface RescoreClaim {
  customerId: string;
  ticket: string;
}

const claimsLocked = (claims: readonly RescoreClaim[]) => sql`
  select q.customer_id from scoring.rescore_queue q
  join unnest(${claims.map((c) => c.customerId)}::uuid[], ${claims.map((c) => c.ticket)}::bigint[]) as c(customer_id, ticket)
    on q.customer_id = c.customer_id and q.ticket = c.ticket
  order by q.customer_id
  for update of q`;

/**
 * The durable rescore queue: one row per customer whose purchases changed and whose scores, tiers
 * and segments are not yet brought up to date. Every statement that changes rows several at a time
 * locks them in customer-id order, as ingest does, so two writers wait for each other and never deadlock.
 */
export const rescoreQueueRepository = Object.freeze({
  /**
   * Queues customers for rescoring, in the caller's transaction (the ingest chunk that gave them new
   * purchases): they commit together, so a crash can lose neither. A customer queued again gets a new
   * ticket and is available at once, whatever the worker or a run was doing with the old row.
   */
  async queue(trx: ScoringDb, customerIds: readonly string[]): Promise<void> {
    if (customerIds.length === 0) return;
    await sql`
      insert into scoring.rescore_queue (customer_id)
      select id from unnest(${[...new Set(customerIds)]}::uuid[]) as id order by id
      on conflict (customer_id) do update
        set ticket = excluded.ticket, queued_at = now(), available_at = now(), attempts = 0, last_error = null, run_id = null`.execute(trx);
  },

  /** Takes up to `limit` available customers, hiding them from other workers for `leaseMs` (extended while the rescore runs). */
  async claim(db: ScoringDb, limit: number, leaseMs: number): Promise<RescoreClaim[]> {
    const { rows } = await sql<{ customer_id: string; ticket: string }>`
      with picked as (
        select customer_id from scoring.rescore_queue
        where run_id is null and available_at <= now()
        order by ticket limit ${limit}
        for update skip locked
      )
      update scoring.rescore_queue q
      set available_at = now() + make_interval(secs => ${leaseMs / 1000}), attempts = q.attempts + 1
      from picked where q.customer_id = picked.customer_id
      returning q.customer_id, q.ticket::text as ticket`.execute(db);
    return rows.map((row) => ({ customerId: row.customer_id, ticket: row.ticket }));
  },


  /** Still working on them: the claim's lease starts again (a worker that dies lets it run out instead). */
  async extendClaims(db: ScoringDb, claims: readonly RescoreClaim[], leaseMs: number): Promise<void> {
    if (claims.length === 0) return;
    await sql`
      update scoring.rescore_queue set available_at = now() + make_interval(secs => ${leaseMs / 1000})
      where customer_id in (${claimsLocked(claims)})`.execute(db);
  },

  /** Done: deletes the claimed rows, except those queued again meanwhile (they go round once more). */
  async complete(db: ScoringDb, claims: readonly RescoreClaim[]): Promise<void> {
    if (claims.length === 0) return;
    await sql`delete from scoring.rescore_queue where customer_id in (${claimsLocked(claims)})`.execute(db);
  },

  /** Failed: the rows come back after `delayMs`, with the reason kept for whoever looks at the queue. */
  async retryLater(db: ScoringDb, claims: readonly RescoreClaim[], delayMs: number, error: string): Promise<void> {
    if (claims.length === 0) return;
    await sql`
      update scoring.rescore_queue set available_at = now() + make_interval(secs => ${delayMs / 1000}), last_error = ${error}
      where customer_id in (${claimsLocked(claims)})`.execute(db);
  },

  /** A full run takes over every queued customer not claimed by another run: it covers them all. */
  async assignToRun(db: ScoringDb, runId: string): Promise<void> {
    await sql`
      update scoring.rescore_queue set run_id = ${runId}
      where customer_id in (select customer_id from scoring.rescore_queue where run_id is null order by customer_id for update)`.execute(db);
  },

  /** After the run: succeeded, its customers are done; otherwise (or interrupted) they go back to the worker. */
  async settleRun(db: ScoringDb, runId: string, succeeded: boolean): Promise<void> {
    const rows = sql`select customer_id from scoring.rescore_queue where run_id = ${runId} order by customer_id for update`;
    if (succeeded) await sql`delete from scoring.rescore_queue where customer_id in (${rows})`.execute(db);
    else await sql`update scoring.rescore_queue set run_id = null, available_at = now() where customer_id in (${rows})`.execute(db);
  },

  /** Customers held by runs that are no longer active (their process died) go back to the worker. */
  async releaseOfInactiveRuns(db: ScoringDb): Promise<void> {
    await sql`
      update scoring.rescore_queue set run_id = null, available_at = now()
      where customer_id in (
        select customer_id from scoring.rescore_queue q
        where run_id is not null
          and not exists (select 1 from scoring.scoring_run r where r.id = q.run_id and r.status in ('queued', 'running'))
        order by customer_id for update)`.execute(db);
  },

  /** How many times each of these customers was claimed (for the retry's backoff). */
  async attemptsOf(db: ScoringDb, customerIds: readonly string[]): Promise<number[]> {
    if (customerIds.length === 0) return [];
    const rows = await db.selectFrom('rescore_queue').select('attempts').where('customer_id', 'in', [...customerIds]).execute();
    return rows.map((r) => r.attempts);
  },
});
