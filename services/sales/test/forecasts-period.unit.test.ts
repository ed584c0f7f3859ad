import { mondayOf, periodDates, periodsOf } from '../src/forecasts/period';
import { channelOfLead } from '../src/opportunities/opportunity.rules';

describe('forecast periods', () => {
  it('spans months and quarters to their last day, leap years included', () => {
    expect(periodDates('2026-12')).toEqual({ from: '2026-12-01', to: '2026-12-31' });
    expect(periodDates('2028-02')).toEqual({ from: '2028-02-01', to: '2028-02-29' });
    expect(periodDates('2026-Q1')).toEqual({ from: '2026-01-01', to: '2026-03-31' });
    expect(periodDates('2026-Q4')).toEqual({ from: '2026-10-01', to: '2026-12-31' });
  });

  it("finds a day's Monday and the periods it falls in", () => {
    expect(mondayOf('2026-12-07')).toBe('2026-12-07');
    expect(mondayOf('2026-12-06')).toBe('2026-11-30');
    expect(mondayOf('2027-01-02')).toBe('2026-12-28');
    expect(periodsOf('2026-11-30')).toEqual({ month: '2026-11', quarter: '2026-Q4' });
    expect(periodsOf('2027-04-01')).toEqual({ month: '2027-04', quarter: '2027-Q2' });
  });
});

describe("a lead's sales channel", () => {
  it.each([
    ['dealer', 'dealer'],
    ['partner', 'dealer'],
    ['hotline', 'phone'],
    ['web', 'web'],
    ['campaign', 'web'],
    ['event', 'web'],
    ['import', 'web'],
    ['walk-in', 'direct'],
  ])('%s → %s', (capture, channel) => expect(channelOfLead(capture, null)).toBe(channel));
  it.each(['hotline', 'web', 'dealer'])("puts a dealer's lead captured on %s into the dealer pipeline", (capture) =>
    expect(channelOfLead(capture, '01a2488a-0ce4-74a8-aa2d-a613269256f2')).toBe('dealer'));
});
