import { calibrationSpendSummary, calibrationSummary } from '../src/clv';

describe('calibrationSummary', () => {
  it('counts distinct purchase days and measures recency and age from the first one', () => {
    const dates = ['1997-01-01', '1997-01-18', '1997-01-18', '1997-08-02', '1997-12-12'];
    expect(calibrationSummary(dates, '1997-09-30', 'weeks')).toEqual({ x: 2, tx: 213 / 7, T: 272 / 7 });
    expect(calibrationSummary(dates, '1997-09-30', 'days')).toEqual({ x: 2, tx: 213, T: 272 });
  });

  it('does not depend on the order of the dates', () => {
    const ordered = calibrationSummary(['1997-02-01', '1997-03-01', '1997-05-10'], '1997-06-30', 'days');
    expect(calibrationSummary(['1997-05-10', '1997-02-01', '1997-03-01'], '1997-06-30', 'days')).toEqual(ordered);
  });

  it('counts purchases on the calibration end day and none after it', () => {
    expect(calibrationSummary(['2024-01-01', '2024-01-31'], '2024-01-31', 'days')).toEqual({ x: 1, tx: 30, T: 30 });
    expect(calibrationSummary(['2024-01-01', '2024-02-01'], '2024-01-31', 'days')).toEqual({ x: 0, tx: 0, T: 30 });
  });

  it('excludes a customer whose first purchase comes after the calibration end', () => {
    expect(calibrationSummary(['2024-02-01', '2024-03-01'], '2024-01-31', 'weeks')).toBeNull();
    expect(calibrationSummary([], '2024-01-31', 'weeks')).toBeNull();
  });

  it('reads Dates as their UTC calendar day, so two times on one day are one purchase', () => {
    const dates = [new Date('2024-03-01T00:10:00Z'), new Date('2024-03-01T23:50:00Z'), new Date('2024-03-08T12:00:00Z')];
    expect(calibrationSummary(dates, new Date('2024-03-15T08:00:00Z'), 'weeks')).toEqual({ x: 1, tx: 1, T: 2 });
  });

  it('handles a leap day and a daylight-saving change as whole days', () => {
    expect(calibrationSummary(['2024-02-28', '2024-03-01', '2024-03-31'], '2024-04-01', 'days')).toEqual({ x: 2, tx: 32, T: 33 });
  });

  it('rejects strings that are not real calendar dates', () => {
    for (const bad of ['2023-02-30', '1997-1-1', '19970101', '1997-01-01T00:00:00Z', 'yesterday']) {
      expect(() => calibrationSummary([bad], '1997-09-30', 'days')).toThrow(RangeError);
    }
    expect(() => calibrationSummary(['1997-01-01'], new Date('nope'), 'days')).toThrow(RangeError);
  });
});

describe('calibrationSpendSummary', () => {
  it('averages the day totals of repeat purchase days, leaving out the first day and later purchases', () => {
    const purchases = [
      { date: '1997-01-01', value: 29.33 },
      { date: '1997-01-18', value: 10 },
      { date: '1997-01-18', value: 19.73 },
      { date: '1997-08-02', value: 14.96 },
      { date: '1997-12-12', value: 26.48 },
    ];
    const summary = calibrationSpendSummary(purchases, '1997-09-30');
    expect(summary?.x).toBe(2);
    expect(summary?.meanValue).toBeCloseTo((29.73 + 14.96) / 2, 12);
  });

  it('reports x = 0 with mean 0 for a one-day customer and null for one not yet acquired', () => {
    expect(calibrationSpendSummary([{ date: '2024-01-05', value: 12 }, { date: '2024-01-05', value: 3 }], '2024-01-31')).toEqual({ x: 0, meanValue: 0 });
    expect(calibrationSpendSummary([{ date: '2024-02-05', value: 12 }], '2024-01-31')).toBeNull();
  });
});
