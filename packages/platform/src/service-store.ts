import type { Kysely } from 'kysely';
import { migrateToLatest, type ServiceMigrations } from './migrations';
import { createOutbox, type Outbox } from './outbox';
import { createOutboxRelay, type OutboxRelay } from './outbox-relay';
import type { ServiceContext } from './service';

export interface ServiceStore<DB> {
  /** The service's own schema, and nothing else. */
  db: Kysely<DB>;
  outbox: Outbox;
  relay: OutboxRelay;
  /** Runs `work` in one transaction, then wakes the relay so the events it appended leave at once. */
  write: <T>(work: (trx: Kysely<DB>) => Promise<T>) => Promise<T>;
}

/**
 * What every service that owns data does first, written once: migrate its schema, narrow the
 * database to it, create the topics it publishes and start its outbox relay.
 */
export async function openServiceStore<DB>(
  context: ServiceContext,
  options: { migrations: ServiceMigrations; source: string; publishes: string[] },
): Promise<ServiceStore<DB>> {
  const { schema } = options.migrations;
  await migrateToLatest(context.db, options.migrations);
  const db = context.db.withSchema(schema) as unknown as Kysely<DB>;
  await context.bus.ensureTopics(options.publishes);
  const relay = createOutboxRelay({ db, schema, bus: context.bus, logger: context.logger.child({ component: 'outbox-relay' }) });
  relay.start();
  return {
    db,
    outbox: createOutbox(options.source, context.runtime),
    relay,
    write: async (work) => {
      const result = await db.transaction().execute(work);
      relay.wake();
      return result;
    },
  };
}
