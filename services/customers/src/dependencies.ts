import type { Principal } from '@crm/domain';
import type { NdjsonLimits, Outbox, Runtime } from '@crm/platform';
import type { Db } from './db/tables';

/** What app.ts hands every feature's service (and the routes the little they need): built once at boot. */
export interface Dependencies {
  db: Db;
  outbox: Outbox;
  runtime: Runtime;
  /** pg_trgm is installed: name search and duplicate matching use similarity. */
  trigram: boolean;
  /** Runs `work` in one transaction, then wakes the outbox relay so its events leave at once. */
  write: <T>(work: (trx: Db) => Promise<T>) => Promise<T>;
  /** Limits of NDJSON streams (line, stream size, line count), from the config. */
  ndjson: NdjsonLimits;
  /** The suite's shared secret: keys the contact digests an erasure announces. */
  internalSecret: string;
}

/** Who makes a change and with what: passed down the write paths inside a transaction. */
export interface WriteContext {
  principal: Principal;
  outbox: Outbox;
  runtime: Runtime;
  /** Timeline `source`: who made the change. */
  source: string;
}

export const writeContextOf = (deps: Pick<Dependencies, 'outbox' | 'runtime'>, principal: Principal): WriteContext => ({
  principal,
  outbox: deps.outbox,
  runtime: deps.runtime,
  source: `${principal.kind}:${principal.subject}`,
});
