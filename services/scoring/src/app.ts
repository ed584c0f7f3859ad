import { Topics } from '@crm/domain';
import { createApp, ingestJobRetentionRule, openServiceStore, startEventConsumer, startRetention, type ServiceContext, type StartedService } from '@crm/platform';
import { scoringConfigOf } from './config';
import { SCORING_SCHEMA, scoringMigrations } from './db/migrations';
import type { ScoringDatabase } from './db/tables';
import { createJobHeartbeats, createRescoreWorker, startNightlyRuns, type RescoreWorker } from './domain/scores';
import { customerProjectionHandlers } from './events/customer-projection.consumer';
import { exchangeRateRoutes } from './routes/exchange-rates.routes';
import type { ScoringRouteContext } from './routes/route-context';
import { modelRoutes } from './routes/models.routes';
import { personalDataRoutes } from './routes/personal-data.routes';
import { reportRoutes } from './routes/reports.routes';
import { runRoutes } from './routes/runs.routes';
import { scoreRoutes } from './routes/scores.routes';
import { segmentRoutes } from './routes/segments.routes';
import { tierRoutes } from './routes/tiers.routes';
import { transactionRoutes } from './routes/transactions.routes';

export interface ScoringService extends StartedService {
  /** Its `drain()` tells tests when the scores an ingest queued are up to date. */
  rescoreWorker: RescoreWorker;
}

/** Builds the scoring service from injected dependencies: migrate, consume customers, relay, routes. Never listens. */
export async function buildScoringService(context: ServiceContext): Promise<ScoringService> {
  const { logger, runtime, bus } = context;
  const config = scoringConfigOf(context.config);
  const { db, outbox, relay, write } = await openServiceStore<ScoringDatabase>(context, {
    migrations: scoringMigrations,
    source: '/crm/scoring',
    publishes: [Topics.scoring],
  });
  const customers = await startEventConsumer({
    db,
    bus,
    logger: logger.child({ component: 'customer-projection' }),
    groupId: 'scoring.customer-projection',
    topics: [Topics.customers],
    handlers: customerProjectionHandlers({ outbox, runtime }),
  });

  const retention = startRetention(context, { db, schema: SCORING_SCHEMA, extraRules: (settings) => [ingestJobRetentionRule(settings)] });

  const app = await createApp({
    name: 'scoring',
    description: 'Segmentation and scoring: transactions in, RFM, CLV, tiers and segments out.',
    logger,
    limits: context.limits,
    principalSecret: config.CRM_INTERNAL_SECRET,
    readiness: [
      { name: 'database', check: async () => void (await db.selectFrom('exchange_rate').select('currency').limit(1).execute()) },
      { name: 'broker', check: () => bus.ping() },
    ],
  });
  const heartbeats = createJobHeartbeats({
    db,
    logger: logger.child({ component: 'job-heartbeats' }),
    intervalMs: config.SCORING_HEARTBEAT_SECONDS * 1000,
    interruptedAfterMs: config.SCORING_INTERRUPTED_AFTER_SECONDS * 1000,
  });
  // Sweeps at once: runs and ingest jobs a dead process left `running` are marked interrupted.
  heartbeats.start();
  const runContext = { db, outbox, runtime, config, write, heartbeats, logger: logger.child({ component: 'scoring-run' }) };
  const rescoreWorker = createRescoreWorker(runContext, logger.child({ component: 'rescore-worker' }), {
    // Customers a dead process had claimed go to another worker as soon as its jobs count as interrupted.
    claimLeaseMs: config.SCORING_INTERRUPTED_AFTER_SECONDS * 1000,
  });
  rescoreWorker.start();
  const routeContext: ScoringRouteContext = { ...runContext, rescoreWorker };
  for (const routes of [transactionRoutes, exchangeRateRoutes, scoreRoutes, runRoutes, modelRoutes, tierRoutes, segmentRoutes, reportRoutes, personalDataRoutes]) {
    routes(app, routeContext);
  }
  const nightly = startNightlyRuns(routeContext, logger.child({ component: 'nightly-runs' }));
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
      await relay.stop();
    },
  };
}
