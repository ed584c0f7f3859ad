import { MAX_OCCURRENCES, occurrencesBetween, parseRecurrence } from '../src/activities/recurrence';

describe('recurring tasks (RRULE)', () => {
  it('normalises a valid rule, with or without the RRULE: prefix', () => {
    expect(parseRecurrence('RRULE:FREQ=WEEKLY;BYDAY=MO')).toEqual({ rule: 'FREQ=WEEKLY;BYDAY=MO' });
    expect(parseRecurrence('FREQ=DAILY;COUNT=3')).toEqual({ rule: 'FREQ=DAILY;COUNT=3' });
  });

  it.each(['', 'nonsense', 'FREQ=SOMETIMES', 'FREQ=DAILY;BYDAY=XX', 'FREQ=DAILY;FOO=1', 'FREQ=DAILY;INTERVAL=0', 'FREQ=DAILY;DTSTART=20270101T000000Z', 'COUNT=3'])('refuses %j', (rule) => {
    expect(parseRecurrence(rule)).toHaveProperty('error');
  });

  it('expands occurrences from the start within [from, to)', () => {
    const starts = occurrencesBetween('FREQ=DAILY;COUNT=5', new Date('2027-03-01T01:00:00Z'), new Date('2027-03-02T00:00:00Z'), new Date('2027-03-04T01:00:00Z'));
    expect(starts.map((d) => d.toISOString())).toEqual(['2027-03-02T01:00:00.000Z', '2027-03-03T01:00:00.000Z']);
  });

  it('stops at a bound however dense the rule', () => {
    expect(occurrencesBetween('FREQ=MINUTELY', new Date('2027-03-01T00:00:00Z'), new Date('2027-03-01T00:00:00Z'), new Date('2027-04-01T00:00:00Z'))).toHaveLength(MAX_OCCURRENCES);
  });
});
