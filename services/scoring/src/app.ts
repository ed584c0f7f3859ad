import { Topics } from '@crm/domain';
import { createServiceApp, ingestJobRetentionRule, ndjsonLimitsOf, openServiceStore, startEventConsumer, startRetention, type ServiceContext, type StartedService } from '@crm/platform';
import { clvModelRoutes } from './clv/clv.routes';
import { createClvModelService } from './clv/clv.service';
import type { ScoringConfig } from './config';
import { customerProjectionHandlers } from './customer-projection/customer-projection.consumer';
import { createCustomerProjection } from './customer-projection/customer-projection.service';
import { SCORING_SCHEMA, scoringMigrations } from './db/migrations';
import type { ScoringDatabase } from './db/tables';
import { exchangeRateRoutes } from './exchange-rates/exchange-rates.routes';
import { salesOrderHandlers } from './transactions/sales-order.consumer';
import { createExchangeRateService } from './exchange-rates/exchange-rates.service';
import { personalDataRoutes } from './personal-data/personal-data.routes';
import { createPersonalDataService } from './personal-data/personal-data.service';
import { reportRoutes } from './reports/reports.routes';
import { createReportService } from './reports/reports.service';
import { createJobHeartbeats } from './runs/job-heartbeats.service';
import { createRescoreWorker, type RescoreWorker } from './runs/rescore-worker.service';
import { runRoutes } from './runs/runs.routes';
import { createRunService, startNightlyRuns, type RunContext } from './runs/runs.service';
import { scoreRoutes } from './scores/scores.routes';
import { createScoreService } from './scores/scores.service';
import { segmentRoutes } from './segments/segments.routes';
import { createSegmentService } from './segments/segments.service';
import { tierRoutes } from './tiers/tiers.routes';
import { createTierService } from './tiers/tiers.service';
import { transactionRoutes } from './transactions/transactions.routes';
import { createTransactionService } from './transactions/transactions.service';

/** What the scoring service is built from: the host's context, with scoring's settings parsed into the config. */
export type ScoringServiceContext = ServiceContext<ScoringConfig>;

export interface ScoringService extends StartedService {
  /** Its `drain()` tells tests when the scores an ingest queued are up to date. */
  rescoreWorker: RescoreWorker;
}

/** Builds the scoring service from injected dependencies: migrate, consume customers, relay, routes. Never listens. */
export async function buildScoringService(context: ScoringServiceContext): Promise<ScoringService> {
  const { logger, runtime, bus, config } = context;
  const { db, outbox, relay, write } = await openServiceStore<ScoringDatabase>(context, {
    migrations: scoringMigrations,
    source: '/crm/scoring',
    publishes: [Topics.scoring],
  });
  const salesOrders = await startEventConsumer({
    db,
    bus,
    logger: logger.child({ component: 'sales-orders' }),
    groupId: 'scoring.sales-orders',
    topics: [Topics.sales],
    handlers: salesOrderHandlers({ runtime, baseCurrency: config.SCORING_BASE_CURRENCY }),
  });
  const customers = await startEventConsumer({
    db,
    bus,
    logger: logger.child({ component: 'customer-projection' }),
    groupId: 'scoring.customer-projection',
    topics: [Topics.customers],
    handlers: customerProjectionHandlers(createCustomerProjection({ outbox, runtime })),
  });

  const retention = startRetention(context, { db, schema: SCORING_SCHEMA, extraRules: (settings) => [ingestJobRetentionRule(settings)] });

  const app = await createServiceApp(context, {
    name: 'scoring',
    description: 'Segmentation and scoring: transactions in, RFM, CLV, tiers and segments out.',
  });
  const heartbeats = createJobHeartbeats({
    db,
    logger: logger.child({ component: 'job-heartbeats' }),
    intervalMs: config.SCORING_HEARTBEAT_SECONDS * 1000,
    interruptedAfterMs: config.SCORING_INTERRUPTED_AFTER_SECONDS * 1000,
  });
  // Sweeps at once: runs and ingest jobs a dead process left `running` are marked interrupted.
  heartbeats.start();
  const runContext: RunContext = { db, outbox, runtime, config, write, heartbeats, logger: logger.child({ component: 'scoring-run' }) };
  const rescoreWorker = createRescoreWorker(runContext, logger.child({ component: 'rescore-worker' }), {
    // Customers a dead process had claimed go to another worker as soon as its jobs count as interrupted.
    claimLeaseMs: config.SCORING_INTERRUPTED_AFTER_SECONDS * 1000,
  });
  rescoreWorker.start();

  const baseCurrency = config.SCORING_BASE_CURRENCY;
  const transactions = createTransactionService({
    db,
    runtime,
    write,
    heartbeats,
    onRescoreQueued: () => rescoreWorker.wake(),
    baseCurrency,
    clockSkewMs: config.SCORING_CLOCK_SKEW_SECONDS * 1000,
  });
  transactionRoutes(app, transactions, ndjsonLimitsOf(config));
  exchangeRateRoutes(app, createExchangeRateService({ db, write, outbox, baseCurrency }));
  scoreRoutes(app, createScoreService({ db }));
  runRoutes(app, createRunService(runContext));
  clvModelRoutes(app, createClvModelService({ db, runtime, write }));
  tierRoutes(app, createTierService({ db, outbox, runtime, write, graceDays: config.SCORING_TIER_GRACE_DAYS }));
  segmentRoutes(app, createSegmentService({ db, outbox, runtime, write }));
  reportRoutes(app, createReportService({ db, baseCurrency }));
  personalDataRoutes(app, createPersonalDataService({ db }));

  const nightly = startNightlyRuns(runContext, logger.child({ component: 'nightly-runs' }));
  return {
    app,
    rescoreWorker,
    stop: async () => {
      // Ends the cron and waits for runs in flight, manual ones included.
      await nightly.stop();
      await rescoreWorker.stop();
      await heartbeats.stop();
      await retention.stop();
      await customers.close();
      await salesOrders.close();
      await relay.stop();
    },
  };
}
