import { calendarDate } from '@crm/domain';
import type { SalesChannel } from '../pipelines/pipeline.tables';

/** The sales channel whose pipeline a lead captured on `captureChannel` goes into. */
export function channelOfLead(captureChannel: string): SalesChannel {
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
