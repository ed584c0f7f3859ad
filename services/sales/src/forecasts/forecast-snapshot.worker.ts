import { calendarDate } from '@crm/domain';
import { createLoopSleep, type Logger, type Runtime } from '@crm/platform';
import type { ForecastService } from './forecast.service';
import { mondayOf, periodsOf } from './period';

export interface ForecastSnapshotWorker {
  /** Takes this week's snapshots (month and quarter of its Monday) unless they exist; the ones taken now. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * The weekly forecast snapshot: from Monday 00:00 in the sales time zone, the first check takes the
 * snapshot of the month and the quarter that Monday falls in, dated that Monday (once: a unique index
 * makes concurrent instances and restarts harmless). A service down over Monday takes it when it comes back.
 */
export function startForecastSnapshotWorker(deps: { forecasts: ForecastService; runtime: Runtime; logger: Logger; timeZone: string; checkSeconds: number }): ForecastSnapshotWorker {
  const { forecasts, runtime, logger, timeZone } = deps;
  let running = true;
  const sleep = createLoopSleep(() => running);

  const runOnce = async () => {
    const monday = mondayOf(calendarDate(runtime.now(), timeZone));
    const { month, quarter } = periodsOf(monday);
    let taken = 0;
    for (const period of [month, quarter]) if (await forecasts.weekly(period, monday)) taken += 1;
    if (taken > 0) logger.info({ monday, taken }, 'weekly forecast snapshots taken');
    return taken;
  };

  const loop = (async () => {
    while (running) {
      try {
        await runOnce();
      } catch (error) {
        logger.error({ err: error }, 'weekly forecast snapshot failed; it is tried again at the next check');
      }
      await sleep.pause(deps.checkSeconds * 1000, false);
    }
  })();

  return {
    runOnce,
    async stop() {
      running = false;
      sleep.interrupt();
      await loop;
    },
  };
}
