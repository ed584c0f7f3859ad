import { Topics } from '@crm/domain';
import { createApp, hasTrigramSupport, ndjsonLimitsOf, openServiceStore, startEventConsumer, startRetention, type App, type ServiceContext, type StartedService } from '@crm/platform';
import { CUSTOMERS_SCHEMA, customersMigrations } from './db/migrations';
import type { CustomersDatabase } from './db/tables';
import { timelineHandlers } from './events/timeline.consumer';
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
  const { db, outbox, relay, write } = await openServiceStore<CustomersDatabase>(context, {
    migrations: customersMigrations,
    source: '/crm/customers',
    publishes: [Topics.customers],
  });
  const timeline = await startEventConsumer({
    db,
    bus,
    logger: logger.child({ component: 'timeline' }),
    groupId: 'customers.timeline',
    topics: [Topics.scoring],
    handlers: timelineHandlers(),
  });

  const retention = startRetention(context, { db, schema: CUSTOMERS_SCHEMA });

  const app = await createApp({
    name: 'customers',
    description: 'Customer master data: persons, organizations, dealers, external ids, duplicates, consent, timeline, GDPR.',
    logger,
    limits: context.limits,
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
    write,
    ndjson: ndjsonLimitsOf(config),
  };
  customerRoutes(app, routeContext);
  customerRelationRoutes(app, routeContext);
  batchRoutes(app, routeContext);
  referenceDataRoutes(app, routeContext);
  return {
    app,
    stop: async () => {
      await retention.stop();
      await timeline.close();
      await relay.stop();
    },
  };
}
