import type { Outbox, Runtime } from '@crm/platform';
import type { ScoringDb } from '../../db/scoring.repository';

export interface SegmentContext {
  outbox: Outbox;
  runtime: Runtime;
}

/**
 * Brings materialised segment membership up to date (all customers, or the ones given; all
 * segments, or the ones given), emitting `segment-entered` / `segment-left` for every change.
 * Placeholder until the segments feature lands: changes nothing.
 */
export async function refreshSegments(
  _trx: ScoringDb,
  _context: SegmentContext,
  _scope: { customerIds?: readonly string[]; segmentIds?: readonly string[] } = {},
): Promise<{ entered: number; left: number }> {
  return { entered: 0, left: 0 };
}
