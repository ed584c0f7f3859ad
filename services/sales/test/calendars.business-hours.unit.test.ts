import { businessIntervals, freeSlots, mergeIntervals, wallClockInstant } from '../src/business-hours';

const span = (start: string, end: string) => ({ start: new Date(start), end: new Date(end) });
const iso = (intervals: { start: Date; end: Date }[]) => intervals.map((i) => [i.start.toISOString(), i.end.toISOString()]);

describe('business hours', () => {
  it('finds 09:00–18:00 on weekdays in the zone, none at the weekend', () => {
    // Friday 2027-03-05 to Monday 2027-03-08 in Shanghai (UTC+8, no DST).
    expect(iso(businessIntervals(new Date('2027-03-04T16:00:00Z'), new Date('2027-03-08T16:00:00Z'), 'Asia/Shanghai'))).toEqual([
      ['2027-03-05T01:00:00.000Z', '2027-03-05T10:00:00.000Z'],
      ['2027-03-08T01:00:00.000Z', '2027-03-08T10:00:00.000Z'],
    ]);
  });

  it('follows daylight saving time: 09:00 in Berlin is 08:00 UTC in winter and 07:00 UTC in summer', () => {
    expect(wallClockInstant(Date.UTC(2027, 2, 26), 9, 'Europe/Berlin').toISOString()).toBe('2027-03-26T08:00:00.000Z');
    expect(wallClockInstant(Date.UTC(2027, 2, 29), 9, 'Europe/Berlin').toISOString()).toBe('2027-03-29T07:00:00.000Z');
  });

  it('clips to the window', () => {
    expect(iso(businessIntervals(new Date('2027-03-01T03:00:00Z'), new Date('2027-03-01T04:30:00Z'), 'Asia/Shanghai'))).toEqual([['2027-03-01T03:00:00.000Z', '2027-03-01T04:30:00.000Z']]);
  });

  it('merges overlapping busy intervals and leaves the rest free', () => {
    const busy = [span('2027-03-01T02:00:00Z', '2027-03-01T03:00:00Z'), span('2027-03-01T02:30:00Z', '2027-03-01T04:00:00Z'), span('2027-03-01T09:30:00Z', '2027-03-01T11:00:00Z')];
    expect(iso(mergeIntervals(busy))).toEqual([
      ['2027-03-01T02:00:00.000Z', '2027-03-01T04:00:00.000Z'],
      ['2027-03-01T09:30:00.000Z', '2027-03-01T11:00:00.000Z'],
    ]);
    expect(iso(freeSlots([span('2027-03-01T01:00:00Z', '2027-03-01T10:00:00Z')], busy))).toEqual([
      ['2027-03-01T01:00:00.000Z', '2027-03-01T02:00:00.000Z'],
      ['2027-03-01T04:00:00.000Z', '2027-03-01T09:30:00.000Z'],
    ]);
  });
});
