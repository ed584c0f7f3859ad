import { z } from 'zod';

/** A forecast period: a month (`2026-12`) or a quarter (`2026-Q4`). */
export const Period = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$/, 'a month like 2026-12 or a quarter like 2026-Q4')
  .describe('A month (`2026-12`) or a quarter (`2026-Q4`)');

/** The first and last calendar day (YYYY-MM-DD) of a period. */
export function periodDates(period: string): { from: string; to: string } {
  const year = Number(period.slice(0, 4));
  const rest = period.slice(5);
  const [firstMonth, months] = rest.startsWith('Q') ? [(Number(rest.slice(1)) - 1) * 3 + 1, 3] : [Number(rest), 1];
  const lastMonth = firstMonth + months - 1;
  // Day 0 of the next month is the last day of this one.
  const lastDay = new Date(Date.UTC(year, lastMonth, 0)).getUTCDate();
  const pad = (n: number) => String(n).padStart(2, '0');
  return { from: `${year}-${pad(firstMonth)}-01`, to: `${year}-${pad(lastMonth)}-${pad(lastDay)}` };
}

/** The month and the quarter a calendar day falls in (the periods a weekly snapshot keeps). */
export function periodsOf(date: string): { month: string; quarter: string } {
  const month = Number(date.slice(5, 7));
  return { month: date.slice(0, 7), quarter: `${date.slice(0, 4)}-Q${Math.ceil(month / 3)}` };
}

/**
 * The calendar day of the latest Monday at or before `date` (YYYY-MM-DD): the week a weekly snapshot
 * stands for.
 */
export function mondayOf(date: string): string {
  const day = new Date(`${date}T00:00:00Z`);
  const sinceMonday = (day.getUTCDay() + 6) % 7;
  return new Date(day.getTime() - sinceMonday * 86_400_000).toISOString().slice(0, 10);
}
