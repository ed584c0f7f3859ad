import type { Principal } from '@crm/domain';
import { decodeCursor, paginate } from '@crm/platform';
import { z } from 'zod';
import { resolveCustomer, withoutForeignCustomerIds, type ReadResult } from '../customers/customer.visibility';
import type { Dependencies } from '../dependencies';
import { timelineRepository, type TimelineEntryRow } from './timeline.repository';
import type { TimelineEntry } from './timeline.schemas';

const SeqCursor = z.object({ seq: z.string().regex(/^\d{1,18}$/) });

/** An entry as the API shows it; `data` is what the entry's type wrote (this service, or the event another sent). */
export const timelineEntryOf = (row: TimelineEntryRow): TimelineEntry =>
  ({ type: row.type, source: row.source, occurredAt: new Date(row.occurred_at).toISOString(), data: row.data }) as TimelineEntry;

export function createTimelineService({ db }: Pick<Dependencies, 'db'>) {
  return Object.freeze({
    /** A page of the customer's timeline, newest first; ids of customers a dealer may not see are blanked. */
    async page(principal: Principal, id: string, page: { limit: number; cursor?: string | undefined }): Promise<ReadResult<{ items: TimelineEntry[]; nextCursor: string | null }>> {
      const resolved = await resolveCustomer(db, id, principal);
      if (resolved.kind === 'moved') return resolved;
      const after = decodeCursor(page.cursor, SeqCursor);
      const rows = await timelineRepository.page(db, resolved.row.id, { beforeSeq: after?.seq, limit: page.limit });
      const found = paginate(rows, page.limit, timelineEntryOf, (r) => ({ seq: r.id }));
      return { kind: 'found', value: await withoutForeignCustomerIds(db, found, principal) };
    },
  });
}

export type TimelineService = ReturnType<typeof createTimelineService>;
