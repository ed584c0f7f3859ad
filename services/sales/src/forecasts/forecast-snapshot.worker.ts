import { calendarDate } from '@crm/domain';
import { startPeriodicJob, type Logger, type PeriodicJob, type Runtime } from '@crm/platform';
import type { ForecastService } from './forecast.service';
import { mondayOf, periodsOf } from './period';

/**
 * The weekly forecast snapshot: from Monday 00:00 in the sales time zone, the first check takes the
 * snapshot of the month and the quarter that Monday falls in, dated that Monday (once: a unique index
 * makes concurrent instances and restarts harmless). A service down over Monday takes it when it comes back.
 */
export function startForecastSnapshotWorker(deps: { forecasts: ForecastService; runtime: Runtime; logger: Logger; timeZone: string; checkSeconds: number }): PeriodicJob {
  const { forecasts, runtime, logger, timeZone } = deps;
  return startPeriodicJob({
    name: 'weekly forecast snapshots',
    intervalMs: deps.checkSeconds * 1000,
    logger,
    run: async () => {
      const monday = mondayOf(calendarDate(runtime.now(), timeZone));
      const { month, quarter } = periodsOf(monday);
      let taken = 0;
      for (const period of [month, quarter]) if (await forecasts.weekly(period, monday)) taken += 1;
      if (taken > 0) logger.info({ monday, taken }, 'weekly forecast snapshots taken');
    },
  });
}
