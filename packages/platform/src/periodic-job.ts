import type { Logger } from './logger';

/** Work a service repeats on a schedule (purges, SLA checks, snapshots): one pass at a time, never a crash. */
export interface PeriodicJob {
  /** One pass now (tests drive it with their clock); resolves when it is done. */
  runOnce(): Promise<void>;
  /** Ends the schedule and waits for a pass in flight. */
  stop(): Promise<void>;
}

export interface PeriodicJobOptions {
  /** For the logs. */
  name: string;
  intervalMs: number;
  logger: Logger;
  run: () => Promise<unknown>;
}

/**
 * Runs `run` at start and every `intervalMs`. A pass still running when the next is due is not doubled;
 * a failed pass (database away) is logged and tried again at the next tick, it never stops the service.
 */
export function startPeriodicJob(options: PeriodicJobOptions): PeriodicJob {
  const logger = options.logger.child({ component: options.name });
  let running: Promise<void> | undefined;
  const tick = () => {
    running ??= options
      .run()
      .then(() => undefined)
      .catch((error: unknown) => logger.warn({ err: error }, `${options.name} failed; it runs again at the next tick`))
      .finally(() => (running = undefined));
  };
  tick();
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  return {
    runOnce: async () => {
      await running;
      await options.run();
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
