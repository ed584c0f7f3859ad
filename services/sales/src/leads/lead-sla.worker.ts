import { startPeriodicJob, type Logger, type PeriodicJob } from '@crm/platform';
import type { LeadService } from './lead.service';

/**
 * Runs the first-contact SLA check every `intervalSeconds`. Safe with several instances: each pass
 * locks the leads it handles (`skip locked`), so a breach is flagged once.
 */
export function startLeadSlaChecker(leads: Pick<LeadService, 'checkSlas'>, options: { intervalSeconds: number; logger: Logger }): PeriodicJob {
  return startPeriodicJob({
    name: 'first-contact SLA check',
    intervalMs: options.intervalSeconds * 1000,
    logger: options.logger,
    run: async () => {
      const result = await leads.checkSlas();
      if (result.breached > 0) options.logger.info(result, 'first-contact SLAs breached');
    },
  });
}
