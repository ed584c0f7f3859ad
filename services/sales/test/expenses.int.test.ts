import { randomUUID } from 'node:crypto';
import { SalesActivityEvents, type Principal } from '@crm/domain';
import { eventually } from '@crm/testkit';
import { sql } from 'kysely';
import { accountPrincipal, admin, as, dealerPrincipal, erp, manager, rep, startSales, type SalesHarness } from './harness';

/** Expense claims on the real PostgreSQL and Kafka: exact totals, the approval states, who may decide and see. */
let h: SalesHarness;
const inject = (method: 'GET' | 'POST' | 'PUT', url: string, principal: Principal, payload?: object, headers: Record<string, string> = {}) =>
  h.service.app.inject({ method, url, headers: as(principal, headers), ...(payload ? { payload } : {}) });
const count = async (table: string) => Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(`sales.${table}`)}`.execute(h.db)).rows[0]!.n);

const tag = randomUUID().slice(0, 6);
const li = rep(`li-${tag}`);
const mate = rep(`mate-${tag}`);
const boss = manager(`boss-${tag}`);
const otherBoss = manager(`other-${tag}`);
const finance: Principal = { kind: 'staff', subject: `fin-${tag}`, roles: ['finance'] };
const item = (amount: string, currency = 'CNY', overrides: object = {}) => ({ date: '2026-11-20', category: 'travel', amount: { amount, currency }, description: 'Train to Hangzhou dealer', ...overrides });
const claimOf = async (principal: Principal, items: object[], title = 'November trip') => {
  const res = await inject('POST', '/v1/expense-claims', principal, { title, items });
  expect(res.statusCode).toBe(201);
  return res.json<{ id: string; status: string; version: number }>();
};
const eventOf = (type: string, claimId: string) => eventually(type, async () => h.salesEvents.find((e) => e.type === type && (e.data as { claimId: string }).claimId === claimId));

beforeAll(async () => {
  h = await startSales();
  expect((await inject('POST', '/v1/sales-teams', admin, { name: `East ${tag}`, members: [{ subject: li.subject, role: 'rep' }, { subject: mate.subject, role: 'rep' }, { subject: boss.subject, role: 'manager' }] })).statusCode).toBe(201);
  expect((await inject('POST', '/v1/sales-teams', admin, { name: `West ${tag}`, members: [{ subject: otherBoss.subject, role: 'manager' }] })).statusCode).toBe(201);
});
afterAll(() => h.close());

describe('expense claims', () => {
  it('drafts a claim with exact totals per currency, then submits, approves and pays it, each an event', async () => {
    const created = await inject('POST', '/v1/expense-claims', li, { title: 'November trip', items: [item('120.50'), item('80.25', 'CNY', { category: 'meals', receiptRef: 'doc-17' }), item('3000', 'JPY', { category: 'lodging' }), item('0.05')] });
    expect(created.statusCode).toBe(201);
    const claim = created.json();
    expect(claim).toMatchObject({ claimantSubject: li.subject, status: 'draft', version: 1, totals: [{ currency: 'CNY', amount: '200.80' }, { currency: 'JPY', amount: '3000' }] });
    expect(claim.items[1]).toEqual({ lineNo: 2, date: '2026-11-20', category: 'meals', amount: { amount: '80.25', currency: 'CNY' }, description: 'Train to Hangzhou dealer', receiptRef: 'doc-17' });

    const submitted = await inject('POST', `/v1/expense-claims/${claim.id}/submit`, li);
    expect(submitted.statusCode).toBe(200);
    expect(submitted.json().status).toBe('submitted');
    expect((await eventOf(SalesActivityEvents.expenseClaimSubmitted.type, claim.id)).data).toMatchObject({ claimantSubject: li.subject, totals: [{ currency: 'CNY', amount: '200.80' }, { currency: 'JPY', amount: '3000' }] });

    const approved = await inject('POST', `/v1/expense-claims/${claim.id}/approve`, boss, { comment: 'OK' });
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'approved', decidedBy: boss.subject, decisionComment: 'OK' });
    expect((await eventOf(SalesActivityEvents.expenseClaimDecided.type, claim.id)).data).toMatchObject({ decision: 'approved', decidedBy: boss.subject });

    const paid = await inject('POST', `/v1/expense-claims/${claim.id}/pay`, finance);
    expect(paid.statusCode).toBe(200);
    expect(paid.json()).toMatchObject({ status: 'paid', paidBy: finance.subject });
    expect((await eventOf(SalesActivityEvents.expenseClaimPaid.type, claim.id)).data).toMatchObject({ totals: [{ currency: 'CNY', amount: '200.80' }, { currency: 'JPY', amount: '3000' }] });
    expect((await inject('POST', `/v1/expense-claims/${claim.id}/pay`, finance)).statusCode).toBe(409);
  });

  it('refuses too many decimals, negative or zero amounts, unknown categories and future dates, writing nothing', async () => {
    const before = [await count('expense_claim'), await count('expense_item')];
    const cnyDecimals = await inject('POST', '/v1/expense-claims', li, { title: 't', items: [item('12.345')] });
    expect(cnyDecimals.statusCode).toBe(400);
    expect(cnyDecimals.json().detail).toContain('CNY allows 2 decimal places');
    const yen = await inject('POST', '/v1/expense-claims', li, { title: 't', items: [item('10.00'), item('12.5', 'JPY')] });
    expect(yen.statusCode).toBe(400);
    expect(yen.json().detail).toContain('JPY allows 0 decimal places');
    for (const bad of [item('-5.00'), item('0.00'), item('5.00', 'CNY', { category: 'gifts' }), item('5', 'CNY', { date: '2026-02-30' })]) {
      expect((await inject('POST', '/v1/expense-claims', li, { title: 't', items: [bad] })).statusCode).toBe(400);
    }
    expect((await inject('POST', '/v1/expense-claims', li, { title: 't', items: [] })).statusCode).toBe(400);
    const future = await inject('POST', '/v1/expense-claims', li, { title: 't', items: [item('5.00', 'CNY', { date: '2099-01-01' })] });
    expect(future.statusCode).toBe(422);
    expect(future.json().type).toBe('urn:crm:problem:rule-violation');
    expect([await count('expense_claim'), await count('expense_item')]).toEqual(before);
  });

  it('never lets the claimant decide its own claim, nor a rep, nor a manager of another team', async () => {
    const own = await claimOf(boss, [item('300.00')], 'Manager dinner');
    expect((await inject('POST', `/v1/expense-claims/${own.id}/submit`, boss)).statusCode).toBe(200);
    const self = await inject('POST', `/v1/expense-claims/${own.id}/approve`, boss, { comment: 'fine by me' });
    expect(self.statusCode).toBe(403);
    expect(self.json().detail).toContain('own claim');
    expect((await inject('GET', `/v1/expense-claims/${own.id}`, boss)).json().status).toBe('submitted');
    expect((await inject('POST', `/v1/expense-claims/${own.id}/approve`, admin, {})).statusCode).toBe(200);

    const liClaim = await claimOf(li, [item('50.00')]);
    expect((await inject('POST', `/v1/expense-claims/${liClaim.id}/submit`, li)).statusCode).toBe(200);
    expect((await inject('POST', `/v1/expense-claims/${liClaim.id}/approve`, mate, {})).statusCode).toBe(403);
    expect((await inject('POST', `/v1/expense-claims/${liClaim.id}/approve`, otherBoss, {})).statusCode).toBe(404);
    expect((await inject('POST', `/v1/expense-claims/${liClaim.id}/pay`, boss)).statusCode).toBe(403);
    expect((await inject('GET', `/v1/expense-claims/${liClaim.id}`, li)).json().status).toBe('submitted');
  });

  it('answers invalid transitions with 409 and changes nothing', async () => {
    const claim = await claimOf(li, [item('10.00')]);
    expect((await inject('POST', `/v1/expense-claims/${claim.id}/approve`, boss, {})).statusCode).toBe(409);
    expect((await inject('POST', `/v1/expense-claims/${claim.id}/pay`, finance)).statusCode).toBe(409);
    expect((await inject('POST', `/v1/expense-claims/${claim.id}/submit`, mate)).statusCode).toBe(404);
    expect((await inject('POST', `/v1/expense-claims/${claim.id}/submit`, li)).statusCode).toBe(200);
    const twice = await inject('POST', `/v1/expense-claims/${claim.id}/submit`, li);
    expect(twice.statusCode).toBe(409);
    expect(twice.json().type).toBe('urn:crm:problem:invalid-transition');
    expect((await inject('PUT', `/v1/expense-claims/${claim.id}`, li, { title: 'x', items: [item('1.00')] }, { 'if-match': '"2"' })).statusCode).toBe(409);
    expect((await inject('POST', `/v1/expense-claims/${claim.id}/reject`, boss, {})).statusCode).toBe(400);
    const rejected = await inject('POST', `/v1/expense-claims/${claim.id}/reject`, boss, { comment: 'No receipt' });
    expect(rejected.json()).toMatchObject({ status: 'rejected', decisionComment: 'No receipt' });
    expect((await inject('POST', `/v1/expense-claims/${claim.id}/approve`, boss, {})).statusCode).toBe(409);
    expect((await inject('POST', `/v1/expense-claims/${claim.id}/pay`, finance)).statusCode).toBe(409);
    expect((await inject('GET', `/v1/expense-claims/${claim.id}`, li)).json()).toMatchObject({ status: 'rejected', paidAt: null });
  });

  it('replaces a draft with If-Match, only by its claimant', async () => {
    const claim = await claimOf(li, [item('10.00')]);
    expect((await inject('PUT', `/v1/expense-claims/${claim.id}`, li, { title: 'x', items: [item('1.00')] })).statusCode).toBe(428);
    expect((await inject('PUT', `/v1/expense-claims/${claim.id}`, boss, { title: 'x', items: [item('1.00')] }, { 'if-match': '"1"' })).statusCode).toBe(403);
    const replaced = await inject('PUT', `/v1/expense-claims/${claim.id}`, li, { title: 'Corrected', items: [item('11.10'), item('0.90', 'CNY', { category: 'mileage' })] }, { 'if-match': '"1"' });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json()).toMatchObject({ title: 'Corrected', version: 2, totals: [{ currency: 'CNY', amount: '12.00' }] });
    expect(replaced.json().items).toHaveLength(2);
  });

  it('shows a rep its own claims, a manager its team\'s, finance and admin all; dealers, integrations and account users none', async () => {
    const liClaim = await claimOf(li, [item('10.00')]);
    const mateClaim = await claimOf(mate, [item('20.00')]);
    const ids = async (principal: Principal) => (await inject('GET', '/v1/expense-claims?limit=200', principal)).json().items.map((c: { id: string }) => c.id);
    expect(await ids(li)).toContain(liClaim.id);
    expect(await ids(li)).not.toContain(mateClaim.id);
    expect((await inject('GET', `/v1/expense-claims/${mateClaim.id}`, li)).statusCode).toBe(404);
    for (const principal of [boss, finance, admin]) expect(await ids(principal)).toEqual(expect.arrayContaining([liClaim.id, mateClaim.id]));
    expect(await ids(otherBoss)).not.toContain(liClaim.id);
    for (const principal of [dealerPrincipal(randomUUID()), erp, accountPrincipal(randomUUID(), 'buyer')]) {
      expect((await inject('GET', '/v1/expense-claims', principal)).statusCode).toBe(403);
      expect((await inject('GET', `/v1/expense-claims/${liClaim.id}`, principal)).statusCode).toBe(403);
      expect((await inject('POST', '/v1/expense-claims', principal, { title: 't', items: [item('1.00')] })).statusCode).toBe(403);
    }
  });
});
