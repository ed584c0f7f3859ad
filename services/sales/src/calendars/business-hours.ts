/** Business hours: Monday to Friday, 09:00 to 18:00 wall-clock time in the service's time zone. */
export const BUSINESS_HOURS = { startHour: 9, endHour: 18, weekdays: [1, 2, 3, 4, 5] } as const;

export interface Interval {
  start: Date;
  end: Date;
}

/** How far ahead of UTC the zone's wall clock is at `instant`, in milliseconds. */
function offsetAt(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(new Date(instant));
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wall = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
  return wall - Math.floor(instant / 1000) * 1000;
}

/** The instant at which the zone's wall clock shows `hour`:00 on the day `utcDay` (a UTC midnight naming the date). */
export function wallClockInstant(utcDay: number, hour: number, timeZone: string): Date {
  const guess = utcDay + hour * 3_600_000;
  const first = guess - offsetAt(guess, timeZone);
  // Once more from the first answer, in case a DST change lies between the guess and it.
  return new Date(guess - offsetAt(first, timeZone));
}

/** The business-hour intervals of the zone within [from, to), clipped to it. */
export function businessIntervals(from: Date, to: Date, timeZone: string): Interval[] {
  const intervals: Interval[] = [];
  const dayOf = (instant: Date) => {
    const local = instant.getTime() + offsetAt(instant.getTime(), timeZone);
    return Math.floor(local / 86_400_000) * 86_400_000;
  };
  for (let day = dayOf(from); day <= dayOf(to); day += 86_400_000) {
    if (!(BUSINESS_HOURS.weekdays as readonly number[]).includes(new Date(day).getUTCDay())) continue;
    const start = Math.max(wallClockInstant(day, BUSINESS_HOURS.startHour, timeZone).getTime(), from.getTime());
    const end = Math.min(wallClockInstant(day, BUSINESS_HOURS.endHour, timeZone).getTime(), to.getTime());
    if (start < end) intervals.push({ start: new Date(start), end: new Date(end) });
  }
  return intervals;
}

/** Overlapping or touching intervals joined, in time order. */
export function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => a.start.getTime() - b.start.getTime());
  const merged: Interval[] = [];
  for (const interval of sorted) {
    const last = merged.at(-1);
    if (last && interval.start.getTime() <= last.end.getTime()) {
      if (interval.end > last.end) last.end = interval.end;
    } else {
      merged.push({ start: interval.start, end: interval.end });
    }
  }
  return merged;
}

/** What is left of `available` once `busy` is taken out. */
export function freeSlots(available: readonly Interval[], busy: readonly Interval[]): Interval[] {
  const taken = mergeIntervals(busy);
  const free: Interval[] = [];
  for (const slot of available) {
    let cursor = slot.start.getTime();
    for (const b of taken) {
      if (b.end.getTime() <= cursor || b.start.getTime() >= slot.end.getTime()) continue;
      if (b.start.getTime() > cursor) free.push({ start: new Date(cursor), end: b.start });
      cursor = Math.max(cursor, b.end.getTime());
    }
    if (cursor < slot.end.getTime()) free.push({ start: new Date(cursor), end: slot.end });
  }
  return free;
}
