import { randomUUID } from 'node:crypto';
import { SalesPipelineEvents, type Principal } from '@crm/domain';
import { createOutbox, systemRuntime } from '@crm/platform';
import { eventually } from '@crm/testkit';
import { sql } from 'kysely';
import type { LeadTarget, ActivityTarget, VisibleParty } from '../src/activities/activity-targets';
import { createActivityService, type ActivityService } from '../src/activities/activity.service';
import type { SalesDb } from '../src/db/tables';
import { dealerPrincipal, rep, startSales, type SalesHarness } from './harness';

/**
 * The ports leads and opportunities plug into (wired at merge): an activity on a lead or an opportunity
 * is scoped by the target's own answer, lands on the timeline of the target's customer, and a completed
 * contact on a lead records the first contact in the same transaction.
 */
let h: SalesHarness;
let activities: ActivityService;
const dealerA = randomUUID();
const dealerB = randomUUID();
const customer = randomUUID();
const leadWithCustomer = randomUUID();
const leadAnonymous = randomUUID();
const opportunity = randomUUID();
const firstContacts: Array<{ leadId: string; at: Date; inTransaction: boolean }> = [];
let failFirstContact = false;

/** A dealer sees its own rows; staff all of them (enough to tell the ports' answers apart). */
const fakeTarget = (rows: Map<string, VisibleParty>): ActivityTarget => ({
  async visibleParty(_trx: SalesDb, principal: Principal, id: string) {
    const party = rows.get(id);
    if (!party || (principal.kind === 'dealer' && party.dealerId !== principal.dealerId)) return null;
    return party;
  },
});
const leadRows = new Map<string, VisibleParty>([
  [leadWithCustomer, { customerId: customer, dealerId: dealerA, ownerSubject: null }],
  [leadAnonymous, { customerId: null, dealerId: dealerA, ownerSubject: null }],
]);
const leads: LeadTarget = {
  ...fakeTarget(leadRows),
  async recordFirstContact(trx, leadId, at) {
    // Written through the caller's transaction: it must go if the completion goes.
    await sql`select 1`.execute(trx);
    if (failFirstContact) throw new Error('the lead refused the first contact');
    firstContacts.push({ leadId, at, inTransaction: trx.isTransaction });
  },
};

beforeAll(async () => {
  h = await startSales();
  const db = h.db.withSchema('sales') as unknown as SalesDb;
  activities = createActivityService({
    db,
    runtime: systemRuntime,
    outbox: createOutbox('/crm/sales', systemRuntime),
    write: (work) => db.transaction().execute(work),
    timeZone: 'Asia/Shanghai',
    targets: { leads, opportunities: fakeTarget(new Map([[opportunity, { customerId: customer, dealerId: dealerB, ownerSubject: 'li' }]])) },
  });
});
afterAll(() => h.close());

describe('activities on leads and opportunities', () => {
  it('records the first contact of a lead when a call on it is completed, in the same transaction, and logs it on the customer timeline', async () => {
    const call = await activities.create(dealerPrincipal(dealerA), { kind: 'call', target: { kind: 'lead', id: leadWithCustomer }, subject: 'First call' }, undefined);
    expect(call).toMatchObject({ customerId: customer, dealerId: dealerA, target: { kind: 'lead', id: leadWithCustomer } });
    const completedAt = new Date(Date.now() - 60_000);
    await activities.complete(dealerPrincipal(dealerA), call.id, { outcome: 'reached', completedAt: completedAt.toISOString() });
    expect(firstContacts).toEqual([{ leadId: leadWithCustomer, at: completedAt, inTransaction: true }]);
    const logged = await eventually('the timeline event', async () => h.salesEvents.find((e) => e.type === SalesPipelineEvents.activityLogged.type && (e.data as { activityId: string }).activityId === call.id));
    expect(logged.data).toMatchObject({ customerId: customer, subject: `lead:${leadWithCustomer}`, kind: 'call' });
  });

  it('does not complete the activity when the lead cannot record the contact', async () => {
    const visit = await activities.create(dealerPrincipal(dealerA), { kind: 'visit', target: { kind: 'lead', id: leadAnonymous }, subject: 'Visit' }, undefined);
    failFirstContact = true;
    await expect(activities.complete(dealerPrincipal(dealerA), visit.id, { outcome: 'reached' })).rejects.toThrow('refused');
    failFirstContact = false;
    expect((await activities.get(dealerPrincipal(dealerA), visit.id)).status).toBe('open');
  });

  it('does not count a task as a contact, and keeps a lead without a customer off every timeline', async () => {
    const before = firstContacts.length;
    const task = await activities.create(dealerPrincipal(dealerA), { kind: 'task', target: { kind: 'lead', id: leadAnonymous }, subject: 'Prepare offer' }, undefined);
    await activities.complete(dealerPrincipal(dealerA), task.id, { outcome: 'completed' });
    expect(firstContacts).toHaveLength(before);
    expect(task.customerId).toBeNull();
  });

  it('logs a call on a lead converted since it was scheduled on the new customer\'s timeline', async () => {
    const converted = randomUUID();
    const lead = randomUUID();
    leadRows.set(lead, { customerId: null, dealerId: dealerA, ownerSubject: null });
    const call = await activities.create(dealerPrincipal(dealerA), { kind: 'call', target: { kind: 'lead', id: lead }, subject: 'Follow-up' }, undefined);
    expect(call.customerId).toBeNull();
    leadRows.set(lead, { customerId: converted, dealerId: dealerA, ownerSubject: null });
    expect((await activities.complete(dealerPrincipal(dealerA), call.id, { outcome: 'reached' })).customerId).toBe(converted);
    const logged = await eventually('the timeline event', async () => h.salesEvents.find((e) => e.type === SalesPipelineEvents.activityLogged.type && (e.data as { activityId: string }).activityId === call.id));
    expect(logged.data).toMatchObject({ customerId: converted, subject: `lead:${lead}` });
  });

  it('answers 404 for a lead or opportunity the target does not show the caller', async () => {
    const attempt = (principal: Principal, kind: 'lead' | 'opportunity', id: string) => activities.create(principal, { kind: 'call', target: { kind, id }, subject: 's' }, undefined);
    await expect(attempt(dealerPrincipal(dealerB), 'lead', leadWithCustomer)).rejects.toMatchObject({ problem: { status: 404 } });
    await expect(attempt(dealerPrincipal(dealerA), 'opportunity', opportunity)).rejects.toMatchObject({ problem: { status: 404 } });
    await expect(attempt(dealerPrincipal(dealerA), 'lead', randomUUID())).rejects.toMatchObject({ problem: { status: 404 } });
    const onOpportunity = await attempt(rep('li'), 'opportunity', opportunity);
    expect(onOpportunity).toMatchObject({ customerId: customer, dealerId: dealerB, ownerSubject: 'li' });
  });
});
