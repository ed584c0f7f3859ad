import { Topics } from '@crm/domain';
import { createServiceApp, openServiceStore, startEventConsumer, startRetention, type ServiceContext, type StartedService } from '@crm/platform';
import { activityRoutes } from './activities/activity.routes';
import { createActivityService } from './activities/activity.service';
import { calendarRoutes } from './calendars/calendar.routes';
import { createCalendarService } from './calendars/calendar.service';
import type { SalesConfig } from './config';
import { expenseRoutes } from './expenses/expense.routes';
import { createExpenseService } from './expenses/expense.service';
import { catalogRoutes } from './catalog/catalog.routes';
import { createCatalogService } from './catalog/catalog.service';
import { customerDirectoryConsumerHandlers } from './customer-directory/customer-directory.consumer';
import type { CustomerLifecycle } from './customer-directory/customer-lifecycle';
import { SALES_SCHEMA, salesMigrations } from './db/migrations';
import type { SalesDatabase } from './db/tables';
import { orderRoutes } from './orders/order.routes';
import { createOrderService } from './orders/order.service';
import { personalDataRoutes } from './personal-data/personal-data.routes';
import { createPersonalDataService } from './personal-data/personal-data.service';
import { teamRoutes } from './teams/team.routes';
import { createTeamService } from './teams/team.service';

/** Builds the sales service from injected dependencies: migrate, customer directory, relay, features. Never listens. */
export async function buildSalesService(context: ServiceContext<SalesConfig>): Promise<StartedService> {
  const { logger, runtime, bus, config } = context;
  const { db, outbox, relay, write } = await openServiceStore<SalesDatabase>(context, {
    migrations: salesMigrations,
    source: '/crm/sales',
    publishes: [Topics.sales],
  });
  const catalog = createCatalogService({ db, runtime, write, timeZone: config.SALES_TIME_ZONE });
  const orders = createOrderService({ db, runtime, outbox, write, catalog });
  const activities = createActivityService({ db, runtime, outbox, write, timeZone: config.SALES_TIME_ZONE, targets: {} });
  // Each feature that keeps rows about customers moves them on a merge, drops them on an erasure, exports them.
  const customerLifecycles: CustomerLifecycle[] = [orders.lifecycle, activities.lifecycle];
  const customers = await startEventConsumer({
    db,
    bus,
    logger: logger.child({ component: 'customer-directory' }),
    groupId: 'sales.customer-directory',
    topics: [Topics.customers, Topics.scoring],
    handlers: customerDirectoryConsumerHandlers(customerLifecycles),
  });
  const retention = startRetention(context, { db, schema: SALES_SCHEMA });

  const app = await createServiceApp(context, {
    name: 'sales',
    description: 'Sales force automation: leads, opportunities, forecasts, activities, products and prices, quotes, orders, commissions.',
  });
  teamRoutes(app, createTeamService({ db, runtime, write }));
  catalogRoutes(app, catalog);
  orderRoutes(app, orders);
  activityRoutes(app, activities);
  calendarRoutes(app, createCalendarService({ db, runtime, outbox, write, timeZone: config.SALES_TIME_ZONE }));
  expenseRoutes(app, createExpenseService({ db, runtime, outbox, write, timeZone: config.SALES_TIME_ZONE }));
  personalDataRoutes(app, createPersonalDataService({ db, features: customerLifecycles }));
  return {
    app,
    stop: async () => {
      await retention.stop();
      await customers.close();
      await relay.stop();
    },
  };
}
