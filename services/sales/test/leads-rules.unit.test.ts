import { addBusinessHours, businessHoursBetween } from '../src/business-hours';
import { rateLead, type RatableLead } from '../src/leads/lead-rating.rules';
import { routeLead, type RepTurn, type RoutingRule } from '../src/leads/lead-routing.rules';

const SH = 'Asia/Shanghai';
const at = (iso: string) => new Date(iso);

describe('business hours (Mon–Fri 09:00–18:00, Asia/Shanghai)', () => {
  it('counts within a day, across the evening and across the weekend', () => {
    // Friday 2026-12-04 10:00 Shanghai = 02:00Z
    expect(addBusinessHours(at('2026-12-04T02:00:00Z'), 2, SH).toISOString()).toBe('2026-12-04T04:00:00.000Z');
    // Friday 17:00 + 2h → Monday 10:00 Shanghai = Monday 02:00Z
    expect(addBusinessHours(at('2026-12-04T09:00:00Z'), 2, SH).toISOString()).toBe('2026-12-07T02:00:00.000Z');
    // Saturday noon counts from Monday 09:00
    expect(addBusinessHours(at('2026-12-05T04:00:00Z'), 0.5, SH).toISOString()).toBe('2026-12-07T01:30:00.000Z');
    // Before opening: from 09:00 the same day; 9 business hours is a full day
    expect(addBusinessHours(at('2026-12-07T22:00:00Z'), 9, SH).toISOString()).toBe('2026-12-08T10:00:00.000Z');
  });

  it('measures business time between two instants', () => {
    expect(businessHoursBetween(at('2026-12-04T09:00:00Z'), at('2026-12-07T02:00:00Z'), SH)).toBe(2);
    expect(businessHoursBetween(at('2026-12-07T02:00:00Z'), at('2026-12-07T01:00:00Z'), SH)).toBe(0);
  });

  it('keeps wall-clock hours across a DST change', () => {
    // Berlin: Friday 2026-03-27 17:00 CET (16:00Z) + 2h → Monday 2026-03-30 10:00 CEST (08:00Z)
    expect(addBusinessHours(at('2026-03-27T16:00:00Z'), 2, 'Europe/Berlin').toISOString()).toBe('2026-03-30T08:00:00.000Z');
  });
});

describe('lead rating', () => {
  const lead: RatableLead = { purchaseTimeframe: 'within_1_month', budget: { amount: '250000.00', currency: 'CNY' }, modelOfInterest: 'Passat', productLine: 'sedan', testDriveRequested: true, channel: 'web', customerTier: null };
  const rules = [
    { id: 'r2', position: 2, rating: 'warm' as const, conditions: { purchaseTimeframes: ['within_1_month' as const, '1_3_months' as const] } },
    { id: 'r1', position: 1, rating: 'hot' as const, conditions: { minBudget: { amount: '200000', currency: 'CNY' }, testDriveRequested: true, modelsOfInterest: ['passat'] } },
    { id: 'r0', position: 0, rating: 'hot' as const, conditions: { customerTiers: ['gold'] } },
  ];

  it('takes the first matching rule by position, and cold when none matches', () => {
    expect(rateLead(lead, rules)).toEqual({ rating: 'hot', ruleId: 'r1' });
    expect(rateLead({ ...lead, budget: { amount: '250000', currency: 'USD' } }, rules)).toEqual({ rating: 'warm', ruleId: 'r2' });
    expect(rateLead({ ...lead, budget: null, purchaseTimeframe: 'later' }, rules)).toEqual({ rating: 'cold', ruleId: null });
    expect(rateLead({ ...lead, purchaseTimeframe: 'later', customerTier: 'gold' }, rules)).toEqual({ rating: 'hot', ruleId: 'r0' });
  });
});

describe('lead routing', () => {
  const base = { slaBusinessHours: 4, reassignOnBreach: true, teamId: null, teamName: null, dealerIds: [] as string[] };
  const rules: RoutingRule[] = [
    { ...base, id: 'sh', name: 'Shanghai hot', position: 1, conditions: { provinces: ['Shanghai'], ratings: ['hot'] }, target: 'dealers', dealerIds: ['d1', 'd2'] },
    { ...base, id: 'suv', name: 'SUV team', position: 2, conditions: { productLines: ['suv'] }, target: 'team', teamId: 't1', teamName: 'SUV' },
    { ...base, id: 'q', name: 'Queue', position: 3, conditions: { channels: ['import'] }, target: 'queue' },
  ];
  const lead = { province: 'shanghai', city: 'Shanghai', productLine: 'SUV', rating: 'hot' as const, channel: 'web', passedDealerIds: [] as string[] };
  let tick = 100;
  const clock = { next: () => ++tick };

  it('explains the placement and moves on past dealers that passed the lead on', () => {
    const teams = new Map<string, RepTurn[]>();
    expect(routeLead(lead, rules, teams, clock)).toMatchObject({ rule: { id: 'sh' }, placement: { kind: 'dealer', dealerId: 'd1' }, reason: 'province shanghai, rating hot → dealer d1' });
    expect(routeLead({ ...lead, passedDealerIds: ['d1'] }, rules, teams, clock).placement).toEqual({ kind: 'dealer', dealerId: 'd2' });
    const allPassed = routeLead({ ...lead, productLine: null, passedDealerIds: ['d1', 'd2'] }, rules, teams, clock);
    expect(allPassed).toMatchObject({ rule: null, placement: { kind: 'queue' } });
    expect(allPassed.reason).toContain('every dealer already passed the lead on');
  });

  it('round-robins among reps under capacity, then falls through', () => {
    const teams = new Map<string, RepTurn[]>([['t1', [{ subject: 'li', capacity: 2, open: 1, turn: 5 }, { subject: 'wang', capacity: null, open: 0, turn: 3 }, { subject: 'zhao', capacity: 1, open: 1, turn: 0 }]]]);
    const warm = { ...lead, rating: 'warm' as const };
    const picks = [1, 2, 3, 4].map(() => routeLead(warm, rules, teams, clock).placement);
    expect(picks.map((p) => (p.kind === 'rep' ? p.subject : p.kind))).toEqual(['wang', 'li', 'wang', 'wang']);
    expect(routeLead({ ...warm, productLine: 'van', channel: 'import' }, rules, teams, clock)).toMatchObject({ rule: { id: 'q' }, placement: { kind: 'queue' } });
    const full = new Map<string, RepTurn[]>([['t1', [{ subject: 'zhao', capacity: 1, open: 1, turn: 0 }]]]);
    expect(routeLead(warm, rules, full, clock).reason).toContain('every rep of team SUV is at capacity');
  });
});
