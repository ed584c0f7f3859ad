import type { CustomerSummary } from './bg-nbd.model';

export type TimeUnit = 'days' | 'weeks';

/** A calendar day: 'YYYY-MM-DD', or a Date taken as its UTC calendar day. */
export type CalendarDay = string | Date;

export interface Purchase {
  date: CalendarDay;
  value: number;
}

/** Repeat-purchase count and mean value per repeat purchase day: the Gamma-Gamma model's input. */
export interface SpendSummary {
  x: number;
  /** Mean of the day totals over repeat purchase days; 0 when there is none (x = 0). */
  meanValue: number;
}

const MS_PER_DAY = 86_400_000;
const DAYS_PER: Record<TimeUnit, number> = { days: 1, weeks: 7 };

/**
 * (x, t_x, T) as Fader, Hardie & Lee derive it for CDNOW: purchases are counted per calendar day (several
 * orders on one day are one transaction), x = distinct purchase days − 1, t_x = last − first purchase day,
 * T = calibration end − first purchase day, in `unit`. Purchases after `calibrationEnd` are ignored;
 * returns null for a customer with no purchase on or before it (not yet acquired in the calibration period).
 */
export function calibrationSummary(
  purchaseDates: readonly CalendarDay[],
  calibrationEnd: CalendarDay,
  unit: TimeUnit,
): CustomerSummary | null {
  const end = dayNumber(calibrationEnd);
  const days = [...new Set(purchaseDates.map(dayNumber).filter((day) => day <= end))];
  if (days.length === 0) return null;
  const first = days.reduce((a, b) => Math.min(a, b));
  const last = days.reduce((a, b) => Math.max(a, b));
  const perUnit = DAYS_PER[unit];
  return { x: days.length - 1, tx: (last - first) / perUnit, T: (end - first) / perUnit };
}

/**
 * x and the mean spend of the repeat purchase days in the calibration period, with the same day rules as
 * `calibrationSummary`. The first day is left out as in Fader & Hardie's Gamma-Gamma analysis (and the
 * lifetimes library): the acquisition order often differs from later ones and is not what CLV predicts.
 */
export function calibrationSpendSummary(purchases: readonly Purchase[], calibrationEnd: CalendarDay): SpendSummary | null {
  const end = dayNumber(calibrationEnd);
  const totals = new Map<number, number>();
  for (const { date, value } of purchases) {
    if (!Number.isFinite(value)) throw new RangeError(`purchase value must be a finite number, got ${value}`);
    const day = dayNumber(date);
    if (day <= end) totals.set(day, (totals.get(day) ?? 0) + value);
  }
  if (totals.size === 0) return null;
  const first = [...totals.keys()].reduce((a, b) => Math.min(a, b));
  let repeatTotal = 0;
  for (const [day, total] of totals) if (day !== first) repeatTotal += total;
  const x = totals.size - 1;
  return { x, meanValue: x === 0 ? 0 : repeatTotal / x };
}

/** Days since 1970-01-01 (UTC) as an integer. */
function dayNumber(day: CalendarDay): number {
  if (day instanceof Date) {
    const ms = day.getTime();
    if (Number.isNaN(ms)) throw new RangeError('invalid Date');
    return Math.floor(ms / MS_PER_DAY);
  }
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  const [year, month, date] = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [NaN, NaN, NaN];
  const ms = Date.UTC(year, month - 1, date);
  // Date.UTC rolls 2023-02-30 over to March; a real calendar date survives the round trip.
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== day) {
    throw new RangeError(`expected a calendar date 'YYYY-MM-DD', got '${day}'`);
  }
  return ms / MS_PER_DAY;
}
