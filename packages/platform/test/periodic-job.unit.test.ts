import { createLogger } from '../src/logger';
import { startPeriodicJob } from '../src/periodic-job';

const logger = createLogger({ name: 'periodic-job-test', level: 'silent' });
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('startPeriodicJob', () => {
  it('runs at start and on every interval, never two passes at once, and goes on after a failed pass', async () => {
    let passes = 0;
    let inFlight = 0;
    let most = 0;
    let release: () => void = () => undefined;
    const job = startPeriodicJob({
      name: 'test job',
      intervalMs: 5,
      logger,
      run: async () => {
        passes += 1;
        inFlight += 1;
        most = Math.max(most, inFlight);
        if (passes === 1) await new Promise<void>((resolve) => (release = resolve));
        inFlight -= 1;
        if (passes === 2) throw new Error('database away');
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(passes).toBe(1); // the first pass still runs: the ticks meanwhile did not start another
    release();
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(passes).toBeGreaterThanOrEqual(3); // the second failed, the schedule went on
    expect(most).toBe(1);
    await job.stop();
    const stoppedAt = passes;
    await new Promise((resolve) => setTimeout(resolve, 20));
    await tick();
    expect(passes).toBe(stoppedAt);
  });

  it('runOnce waits for a pass in flight, then runs one and surfaces its failure', async () => {
    const job = startPeriodicJob({ name: 'test job', intervalMs: 60_000, logger, run: () => Promise.reject(new Error('boom')) });
    await expect(job.runOnce()).rejects.toThrow('boom');
    await job.stop();
  });
});
