import {
  createApp,
  createOutbox,
  createOutboxRelay,
  hasTrigramSupport,
  migrateToLatest,
  startEventConsumer,
  type App,
  type ServiceContext,
  type StartedService,
} from '@crm/platform';
import { Topics } from '@crm/domain';
import type { Db } from './db/customer.repository';
import { timelineHandlers } from './events/timeline.consumer';
import { CUSTOMERS_SCHEMA, customersMigrations } from './db/migrations';
import { batchRoutes } from './routes/batch.routes';
import { customerRelationRoutes } from './routes/customer-relations.routes';
import { customerRoutes } from './routes/customers.routes';
import { referenceDataRoutes } from './routes/reference-data.routes';
import type { RouteContext } from './routes/route-context';

export interface CustomersApp extends StartedService {
  app: App;
}

/** Builds the customers service from injected dependencies: migrate, outbox relay, routes. Never listens. */
export async function buildCustomersService(context: ServiceContext): Promise<CustomersApp> {
  const { logger, runtime, bus, config } = context;
  await migrateToLatest(context.db, customersMigrations);
  const db = context.db.withSchema(CUSTOMERS_SCHEMA) as unknown as Db;
  const outbox = createOutbox('/crm/customers', runtime);
  await bus.ensureTopics([Topics.customers]);
  const relay = createOutboxRelay({ db, schema: CUSTOMERS_SCHEMA, bus, logger: logger.child({ component: 'outbox-relay' }) });
  relay.start();
  const timeline = await startEventConsumer({
    db,
    bus,
    logger: logger.child({ component: 'timeline' }),
    groupId: 'customers.timeline',
    topics: [Topics.scoring],
    handlers: timelineHandlers(),
  });

  const app = await createApp({
    name: 'customers',
    description: 'Customer master data: persons, organizations, dealers, external ids, duplicates, consent, timeline, GDPR.',
    logger,
    principalSecret: config.CRM_INTERNAL_SECRET,
    readiness: [
      { name: 'database', check: async () => void (await db.selectFrom('dealer').select('id').limit(1).execute()) },
      { name: 'broker', check: () => bus.ping() },
    ],
  });
  const routeContext: RouteContext = {
    db,
    outbox,
    runtime,
    trigram: await hasTrigramSupport(context.db),
    write: async (work) => {
      const result = await db.transaction().execute(work);
      relay.wake();
      return result;
    },
  };
  customerRoutes(app, routeContext);
  customerRelationRoutes(app, routeContext);
  batchRoutes(app, routeContext);
  referenceDataRoutes(app, routeContext);
  return {
    app,
    stop: async () => {
      await timeline.close();
      await relay.stop();
    },
  };
}
