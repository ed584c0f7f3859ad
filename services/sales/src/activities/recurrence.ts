import { RRule, type Options } from 'rrule';

/** At most this many occurrences of one task are expanded per read (a minutely rule over a year stops here). */
export const MAX_OCCURRENCES = 1000;

/**
 * A recurring task's rule, parsed by the `rrule` library (RFC 5545 RRULE, with or without the `RRULE:`
 * prefix). The start is the task's dueAt, so a DTSTART in the rule is refused rather than ignored.
 * Returns the normalised rule text, or why it is not one.
 */
export function parseRecurrence(text: string): { rule: string } | { error: string } {
  const body = text.trim().replace(/^RRULE:/i, '');
  if (body === '') return { error: 'the RRULE is empty' };
  if (/(^|;)\s*DTSTART\s*=/i.test(body)) return { error: 'the RRULE must not carry DTSTART: occurrences start at dueAt' };
  let options: Partial<Options>;
  try {
    options = RRule.parseString(body);
    // Constructing and asking for one occurrence catches what parsing lets through (BYDAY=XX).
    new RRule({ ...options, dtstart: new Date(0) }).after(new Date(0), true);
  } catch (error) {
    return { error: `not an iCalendar RRULE: ${(error as Error).message}` };
  }
  if (options.freq === undefined || options.freq === null) return { error: 'the RRULE needs FREQ' };
  if (options.interval !== undefined && options.interval !== null && options.interval < 1) return { error: 'INTERVAL must be at least 1' };
  return { rule: RRule.optionsToString(options).replace(/^RRULE:/, '') };
}

/** The starts of a rule's occurrences (first at `start`) that fall within [from, to), at most MAX_OCCURRENCES. */
export function occurrencesBetween(rule: string, start: Date, from: Date, to: Date): Date[] {
  const recurrence = new RRule({ ...RRule.parseString(rule), dtstart: start });
  const found: Date[] = [];
  recurrence.between(from, to, true, (date) => {
    if (date.getTime() < to.getTime()) found.push(date);
    return found.length < MAX_OCCURRENCES;
  });
  return found;
}
