import { calendarDate } from '@crm/domain';
import type { SalesChannel } from '../pipelines/pipeline.tables';

/**
 * The sales channel whose pipeline a converted lead goes into: a dealer's lead is dealer sales whatever
 * channel captured it (VW's hotline leads are sold by the dealer they were routed to); otherwise the
 * channel follows the capture.
 */
export function channelOfLead(captureChannel: string, dealerId: string | null): SalesChannel {
  if (dealerId !== null) return 'dealer';
  switch (captureChannel) {
    case 'dealer':
    case 'partner':
      return 'dealer';
    case 'hotline':
      return 'phone';
    case 'web':
    case 'campaign':
    case 'event':
    case 'import':
      return 'web';
    default:
      return 'direct';
  }
}

/** A converted lead's expected close date until the rep sets one: 90 days on, in the sales time zone. */
export function defaultCloseDate(at: Date, timeZone: string): string {
  return calendarDate(new Date(at.getTime() + 90 * 86_400_000), timeZone);
}
