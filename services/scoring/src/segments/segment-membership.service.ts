import { ScoringEvents } from '@crm/domain';
import { allowLongStatements, type Outbox, type Runtime } from '@crm/platform';
import type { ScoringDb } from '../db/tables';
import { loadTierSet } from '../tiers/tier-set.service';
import type { Rule } from './rules';
import { segmentMembershipRepository } from './segment-membership.repository';
import { selectMembers } from './segment-rule.repository';
import { segmentsRepository } from './segments.repository';

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
  const segments = await segmentsRepository.rulesForUpdate(trx, segmentIds);
  if (segments.length === 0) return { entered: 0, left: 0 };

  const tiers = (await loadTierSet(trx)).tiers.map((tier) => tier.name);
  const now = context.runtime.now();
  const at = now.toISOString();
  let entered = 0;
  let left = 0;
  for (const segment of segments) {
    const members = selectMembers(segment.rule as Rule, { now, tiers, ...(customerIds ? { customerIds } : {}) });
    const rows = await segmentMembershipRepository.apply(trx, segment.id, members, at, customerIds);
    const ids = (change: 'entered' | 'left') => rows.filter((row) => row.change === change).map((row) => ({ segmentId: segment.id, customerId: row.customer_id }));
    const enteredNow = ids('entered');
    const leftNow = ids('left');
    await segmentMembershipRepository.recordEvaluation(trx, segment.id, enteredNow.length - leftNow.length, at);
    await appendInChunks(trx, context.outbox, ScoringEvents.segmentEntered, enteredNow);
    await appendInChunks(trx, context.outbox, ScoringEvents.segmentLeft, leftNow);
    entered += enteredNow.length;
    left += leftNow.length;
  }
  return { entered, left };
}

/** Every member leaves (segment-left each) before the segment itself is deleted. */
export async function emptySegment(trx: ScoringDb, context: SegmentContext, segmentId: string): Promise<number> {
  const leavers = (await segmentMembershipRepository.removeAll(trx, segmentId))
    .map((customerId) => ({ segmentId, customerId }))
    .sort((a, b) => a.customerId.localeCompare(b.customerId));
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
