import type { Kysely } from 'kysely';
import type { MessageBus } from './bus';
import type { Logger } from './logger';
import { migrateToLatest, type ServiceMigrations } from './migrations';
import { createOutbox, type Outbox } from './outbox';
import { createOutboxRelay, type OutboxRelay } from './outbox-relay';
import type { ServiceContext } from './service';

export interface ServiceStore<DB> {
  /** The service's own schema, and nothing else. */
  db: Kysely<DB>;
  outbox: Outbox;
  /** Its `stop()` also ends the background creation of the topics, if the broker never came. */
  relay: OutboxRelay;
  /** Runs `work` in one transaction, then wakes the relay so the events it appended leave at once. */
  write: <T>(work: (trx: Kysely<DB>) => Promise<T>) => Promise<T>;
}

/**
 * What every service that owns data does first, written once: migrate its schema, narrow the
 * database to it, create the topics it publishes and start its outbox relay. The topics are created
 * in the background, retried until the broker answers: a service starts (and reports not ready)
 * while Kafka is down, and its events wait in the outbox meanwhile.
 */
export async function openServiceStore<DB>(
  context: ServiceContext,
  options: { migrations: ServiceMigrations; source: string; publishes: string[] },
): Promise<ServiceStore<DB>> {
  const { schema } = options.migrations;
  await migrateToLatest(context.db, options.migrations);
  const db = context.db.withSchema(schema) as unknown as Kysely<DB>;
  const topics = ensureTopicsInBackground(context.bus, options.publishes, context.logger.child({ component: 'topics' }));
  const relay = createOutboxRelay({ db, schema, bus: context.bus, logger: context.logger.child({ component: 'outbox-relay' }) });
  relay.start();
  return {
    db,
    outbox: createOutbox(options.source, context.runtime),
    relay: {
      ...relay,
      async stop() {
        topics.stop();
        await relay.stop();
      },
    },
    write: async (work) => {
      const result = await db.transaction().execute(work);
      relay.wake();
      return result;
    },
  };
}

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;

/** Calls `bus.ensureTopics` until it succeeds (backoff 0.5 s … 30 s) or `stop()`; never throws. */
export function ensureTopicsInBackground(bus: MessageBus, topics: string[], logger: Logger): { done: Promise<void>; stop(): void } {
  let stopped = false;
  let wakeUp: (() => void) | undefined;
  const done = (async () => {
    for (let attempt = 1; !stopped; attempt += 1) {
      try {
        await bus.ensureTopics(topics);
        if (attempt > 1) logger.info({ topics, attempt }, 'topics created; the broker is reachable again');
        return;
      } catch (error) {
        if (stopped) return;
        const retryInMs = Math.min(FIRST_RETRY_MS * 2 ** (attempt - 1), MAX_RETRY_MS);
        logger.error({ err: error, topics, attempt, retryInMs }, 'could not create the topics (is the broker down?); trying again');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, retryInMs);
          wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  })();
  return {
    done,
    stop() {
      stopped = true;
      wakeUp?.();
    },
  };
}
