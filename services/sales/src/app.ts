import { Topics } from '@crm/domain';
import { createServiceApp, ndjsonLimitsOf, openServiceStore, startEventConsumer, startRetention, type ServiceContext, type StartedService } from '@crm/platform';
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
import { createExchangeRates, exchangeRateConsumerHandlers } from './exchange-rates/exchange-rates';
import { pipelineRoutes } from './pipelines/pipeline.routes';
import { createPipelineService } from './pipelines/pipeline.service';
import { opportunityRoutes } from './opportunities/opportunity.routes';
import { createOpportunityService } from './opportunities/opportunity.service';
import { forecastRoutes } from './forecasts/forecast.routes';
import { createForecastService } from './forecasts/forecast.service';
import { startForecastSnapshotWorker } from './forecasts/forecast-snapshot.worker';
import { quotaRoutes } from './quotas/quota.routes';
import { createQuotaService } from './quotas/quota.service';
import { createCustomersClient } from './leads/customers.client';
import { leadRoutes } from './leads/lead.routes';
import { createLeadService } from './leads/lead.service';
import { createLeadRulesService } from './leads/lead-rules.service';
import { startLeadSlaChecker } from './leads/lead-sla.worker';
import { orderRoutes } from './orders/order.routes';
import { createOrderService } from './orders/order.service';
import { quoteRoutes } from './quotes/quote.routes';
import { createQuoteService } from './quotes/quote.service';
import { commissionRoutes } from './commissions/commission.routes';
import { createCommissionService } from './commissions/commission.service';
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
  const exchangeRates = createExchangeRates({ baseCurrency: config.SALES_BASE_CURRENCY });
  const commissions = createCommissionService({ db, runtime, outbox, write, timeZone: config.SALES_TIME_ZONE, baseCurrency: config.SALES_BASE_CURRENCY, converter: exchangeRates });
  const orders = createOrderService({ db, runtime, outbox, write, catalog, commissions: commissions.hook });
  const pipelines = createPipelineService({ db, runtime, outbox, write });
  const opportunities = createOpportunityService({ db, runtime, outbox, write, pipelines, exchangeRates, timeZone: config.SALES_TIME_ZONE });
  const customersApi = createCustomersClient({ baseUrl: config.CUSTOMERS_URL, internalSecret: config.CRM_INTERNAL_SECRET, timeoutMs: config.SALES_UPSTREAM_TIMEOUT_MS });
  const leads = createLeadService({ db, runtime, outbox, write, timeZone: config.SALES_TIME_ZONE, customers: customersApi, opportunities, internalSecret: config.CRM_INTERNAL_SECRET });
  const quotes = createQuoteService({ db, runtime, outbox, write, catalog, orders, timeZone: config.SALES_TIME_ZONE });
  const activities = createActivityService({ db, runtime, outbox, write, timeZone: config.SALES_TIME_ZONE, targets: { leads, opportunities } });
  // Each feature that keeps rows about customers moves them on a merge, drops them on an erasure, exports them.
  const customerLifecycles: CustomerLifecycle[] = [orders.lifecycle, opportunities.lifecycle, leads.lifecycle, quotes.lifecycle, activities.lifecycle];
  const customers = await startEventConsumer({
    db,
    bus,
    logger: logger.child({ component: 'customer-directory' }),
    groupId: 'sales.customer-directory',
    topics: [Topics.customers, Topics.scoring],
    handlers: { ...customerDirectoryConsumerHandlers(customerLifecycles), ...exchangeRateConsumerHandlers() },
  });
  const retention = startRetention(context, { db, schema: SALES_SCHEMA });
  const forecasts = createForecastService({ db, runtime, outbox, write, baseCurrency: config.SALES_BASE_CURRENCY, timeZone: config.SALES_TIME_ZONE });
  const weeklySnapshots = startForecastSnapshotWorker({ forecasts, runtime, logger: logger.child({ component: 'forecast-snapshots' }), timeZone: config.SALES_TIME_ZONE, checkSeconds: config.SALES_FORECAST_SNAPSHOT_CHECK_SECONDS });

  const app = await createServiceApp(context, {
    name: 'sales',
    description: 'Sales force automation: leads, opportunities, forecasts, activities, products and prices, quotes, orders, commissions.',
  });
  teamRoutes(app, createTeamService({ db, runtime, write }));
  catalogRoutes(app, catalog);
  orderRoutes(app, orders);
  pipelineRoutes(app, pipelines);
  opportunityRoutes(app, opportunities);
  quotaRoutes(app, createQuotaService({ db, runtime, outbox, write, baseCurrency: config.SALES_BASE_CURRENCY }));
  forecastRoutes(app, forecasts);
  leadRoutes(app, { leads, rules: createLeadRulesService({ db, runtime, write }), ndjson: ndjsonLimitsOf(config) });
  const slaChecker = startLeadSlaChecker(leads, { intervalSeconds: config.SALES_SLA_CHECK_SECONDS, logger: logger.child({ component: 'lead-sla' }) });
  quoteRoutes(app, quotes);
  activityRoutes(app, activities);
  commissionRoutes(app, commissions);
  calendarRoutes(app, createCalendarService({ db, runtime, outbox, write, timeZone: config.SALES_TIME_ZONE }));
  expenseRoutes(app, createExpenseService({ db, runtime, outbox, write, timeZone: config.SALES_TIME_ZONE }));
  personalDataRoutes(app, createPersonalDataService({ db, features: customerLifecycles }));
  return {
    app,
    stop: async () => {
      await weeklySnapshots.stop();
      await slaChecker.stop();
      await retention.stop();
      await customers.close();
      await relay.stop();
    },
  };
}
