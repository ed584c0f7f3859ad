import type { Logger } from '@crm/platform';
import type { LeadService } from './lead.service';

/**
 * Runs the first-contact SLA check every `intervalSeconds`. Safe with several instances: each pass
 * locks the leads it handles (`skip locked`), so a breach is flagged once. A failed pass is logged and
 * the next one retries.
 */
export function startLeadSlaChecker(leads: Pick<LeadService, 'checkSlas'>, options: { intervalSeconds: number; logger: Logger }): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = leads
      .checkSlas()
      .then((result) => {
        if (result.breached > 0) options.logger.info(result, 'first-contact SLAs breached');
      })
      .catch((error: unknown) => options.logger.error({ err: error }, 'the first-contact SLA check failed'))
      .finally(() => {
        running = undefined;
      });
  }, options.intervalSeconds * 1000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
