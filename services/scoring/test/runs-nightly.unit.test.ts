import { baseConfigSchema, loadConfig, systemRuntime, type Outbox } from '@crm/platform';
import { scoringConfigOf } from '../src/config';
import type { ScoringDb } from '../src/db/tables';
import type { JobHeartbeats } from '../src/runs/job-heartbeats.service';
import { startNightlyRuns, type RunContext } from '../src/runs/runs.service';

const configWith = (env: NodeJS.ProcessEnv) => scoringConfigOf(loadConfig(baseConfigSchema, env), env);

// No I/O: the schedule is never due during the test, so the database is never touched.
const context = (env: NodeJS.ProcessEnv): RunContext => ({
  db: {} as ScoringDb,
  outbox: {} as Outbox,
  runtime: systemRuntime,
  config: configWith(env),
  write: () => Promise.reject(new Error('not expected')),
  heartbeats: {} as JobHeartbeats,
});

describe('nightly runs', () => {
  it('reads the schedule and thresholds with their defaults', () => {
    expect(configWith({})).toEqual(expect.objectContaining({
      SCORING_RFM_WINDOW_DAYS: 365,
      SCORING_NEEDS_THRESHOLD: 0.5,
      SCORING_CLV_HORIZON_DAYS: 365,
      SCORING_CLV_DISCOUNT_RATE: 0.01,
      SCORING_CLV_PERIOD_DAYS: 30,
      SCORING_NIGHTLY_CRON: '0 2 * * *',
      SCORING_TIER_GRACE_DAYS: 30,
    }));
    expect(configWith({}).SCORING_VALUE_THRESHOLD).toBeUndefined();
    expect(configWith({ SCORING_RFM_WINDOW_DAYS: '90', SCORING_VALUE_THRESHOLD: '1000' })).toEqual(
      expect.objectContaining({ SCORING_RFM_WINDOW_DAYS: 90, SCORING_VALUE_THRESHOLD: 1000 }),
    );
  });

  it('starts on the configured cron and stops', async () => {
    const nightly = startNightlyRuns(context({ SCORING_NIGHTLY_CRON: '0 2 29 2 *' }));
    await expect(nightly.stop()).resolves.toBeUndefined();
  });

  it('refuses a malformed schedule at start-up', () => {
    expect(() => startNightlyRuns(context({ SCORING_NIGHTLY_CRON: '0 99 * * * *' }))).toThrow();
  });
});
