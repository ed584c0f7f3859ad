import type { Principal } from '@crm/domain';
import { problem, type NdjsonLimits, type Outbox, type Runtime } from '@crm/platform';
import type { Db } from '../db/customer.repository';
import type { ItemResult, WriteContext } from '../domain/customer-write.service';

/** What every route plugin of this service is handed. */
export interface RouteContext {
  db: Db;
  outbox: Outbox;
  runtime: Runtime;
  /** pg_trgm is installed: name search and duplicate matching use similarity. */
  trigram: boolean;
  /** Runs `work` in one transaction, then wakes the outbox relay so its events leave at once. */
  write: <T>(work: (trx: Db) => Promise<T>) => Promise<T>;
  /** Limits of NDJSON streams (line, stream size, line count), from the config. */
  ndjson: NdjsonLimits;
}

export const writeContext = (context: RouteContext, principal: Principal): WriteContext => ({
  principal,
  outbox: context.outbox,
  runtime: context.runtime,
  source: `${principal.kind}:${principal.subject}`,
});

/** Single-item routes answer an item error as the problem it names. */
export function unwrapItem(result: ItemResult | undefined): Exclude<ItemResult, { status: 'error' }> {
  if (!result) throw new Error('no result for the item');
  if (result.status === 'error') {
    const { problem: type, message, survivorId } = result.error;
    throw problem(type, message, survivorId ? { survivorId } : {});
  }
  return result;
}
