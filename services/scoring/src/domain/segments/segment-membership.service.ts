import { ScoringEvents } from '@crm/domain';
import { allowLongStatements, type Outbox, type Runtime } from '@crm/platform';
import { sql } from 'kysely';
import type { ScoringDb } from '../../db/scoring.repository';
import { selectMembers, type Rule } from '../rules';
import { loadTierSet } from '../tiers/tier-set.repository';

export interface SegmentContext {
  outbox: Outbox;
  runtime: Runtime;
}

/** Events per outbox statement: bounded statement size however many members change. */
const EVENT_CHUNK = 5_000;

/**
 * Brings materialised segment membership up to date (all customers, or the ones given; all
 * segments, or the ones given), emitting `segment-entered` / `segment-left` for every change.
 * Per segment one set-based statement compares the compiled rule's members with segment_member:
 * inserts the newcomers, deletes the leavers, and the segment's member_count / evaluated_at follow.
 * Segment rows are locked for the transaction, so concurrent refreshes of a segment queue up.
 */
export async function refreshSegments(
  trx: ScoringDb,
  context: SegmentContext,
  scope: { customerIds?: readonly string[]; segmentIds?: readonly string[] } = {},
): Promise<{ entered: number; left: number }> {
  const { customerIds, segmentIds } = scope;
  if ((customerIds && customerIds.length === 0) || (segmentIds && segmentIds.length === 0)) return { entered: 0, left: 0 };
  if (!customerIds) await allowLongStatements(trx);
  let query = trx.selectFrom('segment').select(['id', 'rule']).orderBy('id').forUpdate();
  if (segmentIds) query = query.where('id', 'in', [...segmentIds]);
  const segments = await query.execute();
  if (segments.length === 0) return { entered: 0, left: 0 };

  const tiers = (await loadTierSet(trx)).tiers.map((tier) => tier.name);
  const now = context.runtime.now();
  const at = now.toISOString();
  const among = customerIds ? sql` and m.customer_id = any(cast(${[...customerIds]} as uuid[]))` : sql``;
  let entered = 0;
  let left = 0;
  for (const segment of segments) {
    const members = selectMembers(segment.rule as Rule, { now, tiers, ...(customerIds ? { customerIds } : {}) });
    const { rows } = await sql<{ change: 'entered' | 'left'; customer_id: string }>`
      with target as (${members}),
      entered as (
        insert into scoring.segment_member (segment_id, customer_id, entered_at)
        select ${segment.id}, t.customer_id, cast(${at} as timestamptz) from target t
        where not exists (select 1 from scoring.segment_member m where m.segment_id = ${segment.id} and m.customer_id = t.customer_id)
        on conflict do nothing
        returning customer_id
      ),
      leavers as (
        delete from scoring.segment_member m
        where m.segment_id = ${segment.id}${among} and not exists (select 1 from target t where t.customer_id = m.customer_id)
        returning m.customer_id
      )
      select 'entered' as change, customer_id from entered
      union all
      select 'left' as change, customer_id from leavers
      order by change, customer_id`.execute(trx);

    const ids = (change: 'entered' | 'left') => rows.filter((row) => row.change === change).map((row) => ({ segmentId: segment.id, customerId: row.customer_id }));
    const enteredNow = ids('entered');
    const leftNow = ids('left');
    await trx
      .updateTable('segment')
      .set((eb) => ({ member_count: eb('member_count', '+', enteredNow.length - leftNow.length), evaluated_at: at }))
      .where('id', '=', segment.id)
      .execute();
    await appendInChunks(trx, context.outbox, ScoringEvents.segmentEntered, enteredNow);
    await appendInChunks(trx, context.outbox, ScoringEvents.segmentLeft, leftNow);
    entered += enteredNow.length;
    left += leftNow.length;
  }
  return { entered, left };
}

/** Every member leaves (segment-left each) before the segment itself is deleted. */
export async function emptySegment(trx: ScoringDb, context: SegmentContext, segmentId: string): Promise<number> {
  const { rows } = await sql<{ customer_id: string }>`
    delete from scoring.segment_member where segment_id = ${segmentId} returning customer_id`.execute(trx);
  const leavers = rows.map((row) => ({ segmentId, customerId: row.customer_id })).sort((a, b) => a.customerId.localeCompare(b.customerId));
  await appendInChunks(trx, context.outbox, ScoringEvents.segmentLeft, leavers);
  return leavers.length;
}

async function appendInChunks(
  trx: ScoringDb,
  outbox: Outbox,
  definition: typeof ScoringEvents.segmentEntered | typeof ScoringEvents.segmentLeft,
  events: { segmentId: string; customerId: string }[],
): Promise<void> {
  for (let i = 0; i < events.length; i += EVENT_CHUNK) await outbox.appendMany(trx, definition, events.slice(i, i + EVENT_CHUNK));
}
