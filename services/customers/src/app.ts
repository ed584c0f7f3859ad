import { Topics } from '@crm/domain';
import { createServiceApp, hasTrigramSupport, ndjsonLimitsOf, openServiceStore, startEventConsumer, startRetention, type App, type ServiceContext, type StartedService } from '@crm/platform';
import { attributeDefinitionsRoutes } from './attribute-definitions/attribute-definitions.routes';
import { createAttributeDefinitionsService } from './attribute-definitions/attribute-definitions.service';
import { consentsRoutes } from './consents/consents.routes';
import { createConsentsService } from './consents/consents.service';
import { contactsRoutes } from './contacts/contacts.routes';
import { createContactsService } from './contacts/contacts.service';
import { customersRoutes } from './customers/customers.routes';
import { createCustomersService } from './customers/customers.service';
import { CUSTOMERS_SCHEMA, customersMigrations } from './db/migrations';
import type { CustomersDatabase } from './db/tables';
import { dealersRoutes } from './dealers/dealers.routes';
import { createDealersService } from './dealers/dealers.service';
import type { Dependencies } from './dependencies';
import { duplicatesRoutes } from './duplicates/duplicates.routes';
import { createDuplicatesService } from './duplicates/duplicates.service';
import { personalDataRoutes } from './personal-data/personal-data.routes';
import { createPersonalDataService } from './personal-data/personal-data.service';
import { timelineHandlers } from './timeline/timeline.consumer';
import { timelineRoutes } from './timeline/timeline.routes';
import { createTimelineService } from './timeline/timeline.service';

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
    topics: [Topics.scoring, Topics.sales],
    handlers: timelineHandlers(),
  });

  const retention = startRetention(context, { db, schema: CUSTOMERS_SCHEMA });

  const app = await createServiceApp(context, {
    name: 'customers',
    description: 'Customer master data: persons, organizations, dealers, external ids, duplicates, consent, timeline, GDPR.',
  });
  const deps: Dependencies = {
    db,
    outbox,
    runtime,
    trigram: await hasTrigramSupport(context.db),
    write,
    ndjson: ndjsonLimitsOf(config),
    internalSecret: config.CRM_INTERNAL_SECRET,
  };
  customersRoutes(app, { customers: createCustomersService(deps), ndjson: deps.ndjson });
  contactsRoutes(app, { contacts: createContactsService(deps) });
  duplicatesRoutes(app, { duplicates: createDuplicatesService(deps) });
  consentsRoutes(app, { consents: createConsentsService(deps) });
  timelineRoutes(app, { timeline: createTimelineService(deps) });
  personalDataRoutes(app, { personalData: createPersonalDataService(deps) });
  dealersRoutes(app, { dealers: createDealersService(deps) });
  attributeDefinitionsRoutes(app, { attributeDefinitions: createAttributeDefinitionsService(deps) });
  return {
    app,
    stop: async () => {
      await retention.stop();
      await timeline.close();
      await relay.stop();
    },
  };
}
