/**
 * Business hours, written once for first-contact SLAs and calendars' free slots: Monday to Friday,
 * 09:00–18:00 wall-clock time in the service's zone (public holidays are not modelled). Pure: the zone's
 * offsets come from Intl.
 */
export const BUSINESS_HOURS = { startHour: 9, endHour: 18, weekdays: [1, 2, 3, 4, 5] } as const;
const OPEN_HOUR = BUSINESS_HOURS.startHour;
const CLOSE_HOUR = BUSINESS_HOURS.endHour;
const MINUTE = 60_000;

export interface Interval {
  start: Date;
  end: Date;
}

interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 Sunday … 6 Saturday */
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The zone's UTC offset (ms) at an instant, asked of Intl once per zone and quarter hour (offsets change on those). */
const QUARTER_HOUR = 15 * 60_000;
const offsets = new Map<string, number>();
function offsetAt(instant: number, timeZone: string): number {
  const quarter = Math.floor(instant / QUARTER_HOUR) * QUARTER_HOUR;
  const key = `${timeZone}|${quarter}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    const parts = Object.fromEntries(formatterFor(timeZone).formatToParts(new Date(quarter)).map((p) => [p.type, p.value]));
    offset = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second)) - quarter;
    if (offsets.size > 100_000) offsets.clear();
    offsets.set(key, offset);
  }
  return offset;
}

function localTimeOf(instant: Date, timeZone: string): LocalTime {
  const wall = new Date(instant.getTime() + offsetAt(instant.getTime(), timeZone));
  return { year: wall.getUTCFullYear(), month: wall.getUTCMonth() + 1, day: wall.getUTCDate(), hour: wall.getUTCHours(), minute: wall.getUTCMinutes(), second: wall.getUTCSeconds(), weekday: wall.getUTCDay() };
}

/** The instant at which the zone's clocks show this wall time (two passes settle a DST offset). */
function instantAt(year: number, month: number, day: number, hour: number, timeZone: string): Date {
  const wall = Date.UTC(year, month - 1, day, hour);
  let guess = wall;
  for (let pass = 0; pass < 2; pass += 1) {
    const local = localTimeOf(new Date(guess), timeZone);
    const shown = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second);
    guess += wall - shown;
  }
  return new Date(guess);
}

/** The next opening (09:00 of the next weekday) after the local day `local`. */
function nextOpening(local: LocalTime, timeZone: string): Date {
  const next = new Date(Date.UTC(local.year, local.month - 1, local.day + 1));
  return instantAt(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), OPEN_HOUR, timeZone);
}

/** The instant `hours` business hours after `start` (a start outside business hours counts from the next opening). */
export function addBusinessHours(start: Date, hours: number, timeZone: string): Date {
  let remaining = Math.round(hours * 60) * MINUTE;
  let cursor = start;
  for (;;) {
    const local = localTimeOf(cursor, timeZone);
    if (local.weekday === 0 || local.weekday === 6 || local.hour >= CLOSE_HOUR) {
      cursor = nextOpening(local, timeZone);
      continue;
    }
    if (local.hour < OPEN_HOUR) {
      cursor = instantAt(local.year, local.month, local.day, OPEN_HOUR, timeZone);
      continue;
    }
    const closing = instantAt(local.year, local.month, local.day, CLOSE_HOUR, timeZone).getTime();
    const available = closing - cursor.getTime();
    if (remaining <= available) return new Date(cursor.getTime() + remaining);
    remaining -= available;
    cursor = nextOpening(local, timeZone);
  }
}

/** Business time between two instants, in hours (0 when `to` is not after `from`). */
export function businessHoursBetween(from: Date, to: Date, timeZone: string): number {
  let total = 0;
  let cursor = from;
  while (cursor < to) {
    const local = localTimeOf(cursor, timeZone);
    if (local.weekday === 0 || local.weekday === 6 || local.hour >= CLOSE_HOUR) {
      cursor = nextOpening(local, timeZone);
      continue;
    }
    if (local.hour < OPEN_HOUR) {
      cursor = instantAt(local.year, local.month, local.day, OPEN_HOUR, timeZone);
      continue;
    }
    const closing = Math.min(instantAt(local.year, local.month, local.day, CLOSE_HOUR, timeZone).getTime(), to.getTime());
    total += closing - cursor.getTime();
    cursor = nextOpening(local, timeZone);
  }
  return total / (60 * MINUTE);
}

/** The instant the day `days` after `date` (YYYY-MM-DD) begins in the zone: its local midnight. */
export function startOfLocalDay(date: string, days: number, timeZone: string): Date {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const target = new Date(Date.UTC(year, month - 1, day + days));
  return instantAt(target.getUTCFullYear(), target.getUTCMonth() + 1, target.getUTCDate(), 0, timeZone);
}

/** The instant at which the zone's wall clock shows `hour`:00 on the day `utcDay` (a UTC midnight naming the date). */
export function wallClockInstant(utcDay: number, hour: number, timeZone: string): Date {
  const day = new Date(utcDay);
  return instantAt(day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate(), hour, timeZone);
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
