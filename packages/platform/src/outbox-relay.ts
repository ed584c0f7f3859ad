import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { sql, type Kysely } from 'kysely';
import type { BusMessage, MessageBus } from './bus';
import type { Logger } from './logger';
import { createLoopSleep } from './loop-sleep';

export interface OutboxRelayOptions {
  /** The service's database handle, already narrowed with `db.withSchema(schema)`. */
   
  db: Kysely<any>;
  schema: string;
  bus: MessageBus;
  logger: Logger;
  batchSize?: number;
  pollIntervalMs?: number;
  /**
   * How long a relay's leadership lasts without renewal; renewed when half of it is left, so a
   * publish (bounded by the bus's own timeouts, a few seconds) always ends well inside the lease.
   */
  leaseMs?: number;
}

export interface OutboxRelay {
  /** Starts the publishing loop in the background (a second call does nothing). */
  start(): void;
  /** Publishes now instead of at the next poll: call it after committing events. */
  wake(): void;
  /** Resolves once every event committed before the call has been published (the loop must be running). */
  drain(): Promise<void>;
  /** Lets the batch in flight finish, then ends the loop. */
  stop(): Promise<void>;
}

/** bigserial: a string from node-postgres, a number from PGlite; only ever handed back to SQL. */
type OutboxId = string | number;

interface OutboxTable {
  id: OutboxId;
  topic: string;
  key: string;
  event: unknown;
}

interface OutboxLeaseTable {
  name: string;
  holder: string;
  expires_at: Date | string;
}

/** The lease row of the schema's outbox (one outbox per schema). */
const LEASE_NAME = 'outbox';

type Pass =
  /** Another relay (another replica) holds the schema's lease and is publishing. */
  | { kind: 'locked-elsewhere' }
  /** `caughtUp`: fewer rows than a full batch were waiting, so there is no need to go again at once. */
  | { kind: 'published'; caughtUp: boolean }
  /** Nothing after `retryThroughId` may go out before the rows up to it are published. */
  | { kind: 'failed'; error: unknown; retryThroughId: OutboxId | undefined };

const MAX_BACKOFF_MS = 5_000;
const FIRST_BACKOFF_MS = 200;

interface DrainWaiter {
  resolve(): void;
  reject(error: Error): void;
}

/**
 * Publishes a schema's outbox, oldest first, at least once and in order per key. Only the holder of
 * the schema's lease (`outbox_lease`, renewed while it lives, taken over once it expires) publishes,
 * so one relay per schema publishes at a time, across processes. No transaction is open while the
 * bus is waited on: a pass reads a batch, publishes it, then deletes exactly the rows the bus
 * acknowledged in one short statement.
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { schema, bus, batchSize = 500, pollIntervalMs = 200, leaseMs = 60_000 } = options;
  const db = options.db as Kysely<{ outbox: OutboxTable; outbox_lease: OutboxLeaseTable }>;
  const logger = options.logger.child({ component: 'outbox-relay', schema });
  const holder = randomUUID();

  let running = false;
  let loop: Promise<void> | undefined;
  const { pause, wake, interrupt } = createLoopSleep(() => running);
  let drainWaiters: DrainWaiter[] = [];
  /** Until when (performance.now()) the lease is surely ours: measured from before the statement that took it. */
  let leaseHeldUntil = 0;

  /** True when this relay holds the lease with at least half of it left, renewing or taking it over as needed. */
  async function holdLease(): Promise<boolean> {
    if (performance.now() < leaseHeldUntil - leaseMs / 2) return true;
    const current = await db
      .selectFrom('outbox_lease')
      .select(['holder', sql<boolean>`expires_at > now()`.as('live')])
      .where('name', '=', LEASE_NAME)
      .executeTakeFirst();
    if (current && current.holder !== holder && current.live) {
      leaseHeldUntil = 0;
      return false;
    }
    const askedAt = performance.now();
    const taken = await db
      .insertInto('outbox_lease')
      .values({ name: LEASE_NAME, holder, expires_at: sql`now() + make_interval(secs => ${leaseMs / 1000})` })
      .onConflict((conflict) =>
        conflict
          .column('name')
          .doUpdateSet({ holder, expires_at: sql`excluded.expires_at` })
          .where((eb) => eb.or([eb('outbox_lease.holder', '=', holder), eb('outbox_lease.expires_at', '<', sql<Date>`now()`)])),
      )
      .returning('holder')
      .executeTakeFirst();
    leaseHeldUntil = taken ? askedAt + leaseMs : 0;
    return taken !== undefined;
  }

  async function outboxIsEmpty(): Promise<boolean> {
    return (await db.selectFrom('outbox').select('id').limit(1).executeTakeFirst()) === undefined;
  }

  async function releaseLease(): Promise<void> {
    if (leaseHeldUntil === 0) return;
    leaseHeldUntil = 0;
    // Another replica takes over at its next pass instead of after the lease runs out.
    await db.updateTable('outbox_lease').set({ expires_at: sql`now()` }).where('name', '=', LEASE_NAME).where('holder', '=', holder).execute();
  }

  async function publishNextBatch(retryThroughId: OutboxId | undefined): Promise<Pass> {
    if (!(await holdLease())) return { kind: 'locked-elsewhere' };

    // The CloudEvent leaves as stored: reading it as text spares a JSON parse and re-serialisation per event.
    let query = db
      .selectFrom('outbox')
      .select(['id', 'topic', 'key', sql<string>`event::text`.as('event')])
      .orderBy('id')
      .limit(batchSize);
    // After a failure, resend exactly the rows that failed: the idempotent producer reuses its sequence
    // numbers, so the broker drops whatever it had already written before the connection broke.
    if (retryThroughId !== undefined) query = query.where('id', '<=', retryThroughId);
    const batch = await query.execute();

    const publishedIds: OutboxId[] = [];
    let failure: { error: unknown } | undefined;
    let leaseRanOut = false;
    for (const [topic, rows] of groupByTopic(batch)) {
      // A publish that outlasted the lease (a paused process): another relay may lead now; stop here.
      if ((leaseRanOut = performance.now() >= leaseHeldUntil)) break;
      try {
        await bus.publish(topic, rows.map(toBusMessage));
      } catch (error) {
        failure = { error };
        break;
      }
      publishedIds.push(...rows.map((row) => row.id));
    }
    // Topics published before a failure are done: deleting their rows now keeps them from going out twice.
    if (publishedIds.length > 0) await db.deleteFrom('outbox').where('id', 'in', publishedIds).execute();

    if (failure) return { kind: 'failed', error: failure.error, retryThroughId: batch.at(-1)?.id };
    return { kind: 'published', caughtUp: retryThroughId === undefined && !leaseRanOut && batch.length < batchSize };
  }

  async function runLoop(): Promise<void> {
    let retryThroughId: OutboxId | undefined;
    let failures = 0;
    while (running) {
      const waitersBeforePass = drainWaiters;
      drainWaiters = [];
      const pass = await publishNextBatch(retryThroughId).catch(
        // The database failed (not the bus): retry the same way, keeping the rows the bus may have half-sent.
        (error: unknown): Pass => ({ kind: 'failed', error, retryThroughId }),
      );
      // A drain is answered only by a pass that began after it and found less than a full batch.
      if (pass.kind !== 'published' || !pass.caughtUp) drainWaiters.unshift(...waitersBeforePass);

      switch (pass.kind) {
        case 'published':
          failures = 0;
          retryThroughId = undefined;
          if (pass.caughtUp) {
            for (const waiter of waitersBeforePass) waiter.resolve();
            await pause(pollIntervalMs, true);
          }
          break;
        case 'locked-elsewhere':
          // The leader publishes; a drain here is answered once the outbox is empty.
          if (waitersBeforePass.length > 0 && (await outboxIsEmpty().catch(() => false))) {
            drainWaiters = drainWaiters.filter((waiter) => !waitersBeforePass.includes(waiter));
            for (const waiter of waitersBeforePass) waiter.resolve();
          }
          await pause(pollIntervalMs, true);
          break;
        case 'failed': {
          failures += 1;
          retryThroughId = pass.retryThroughId;
          const delayMs = Math.min(FIRST_BACKOFF_MS * 2 ** (failures - 1), MAX_BACKOFF_MS);
          logger.warn({ err: pass.error, failures, retryInMs: delayMs }, 'outbox publish failed; retrying the same events');
          // Not wakeable: every commit calls wake(), which must not turn the backoff into a busy loop.
          await pause(delayMs, false);
          break;
        }
      }
    }
  }

  return {
    start() {
      if (loop) return;
      running = true;
      loop = runLoop().catch((error: unknown) => logger.error({ err: error }, 'outbox relay loop crashed'));
    },

    wake,

    drain() {
      if (!running) return Promise.reject(new Error('outbox relay is not running'));
      return new Promise<void>((resolve, reject) => {
        drainWaiters.push({ resolve, reject });
        wake();
      });
    },

    async stop() {
      running = false;
      interrupt();
      await loop;
      loop = undefined;
      await releaseLease().catch((error: unknown) => logger.warn({ err: error }, 'could not release the outbox lease; it expires on its own'));
      for (const waiter of drainWaiters.splice(0)) waiter.reject(new Error('outbox relay stopped before draining'));
    },
  };
}

function groupByTopic<Row extends { topic: string }>(rows: Row[]): Map<string, Row[]> {
  const byTopic = new Map<string, Row[]>();
  for (const row of rows) {
    const group = byTopic.get(row.topic);
    if (group) group.push(row);
    else byTopic.set(row.topic, [row]);
  }
  return byTopic;
}

function toBusMessage(row: { key: string; event: string }): BusMessage {
  return {
    key: row.key,
    // On the wire: the CloudEvent in structured mode.
    value: row.event,
    headers: { 'content-type': 'application/cloudevents+json' },
  };
}
