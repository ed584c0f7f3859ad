import { randomUUID } from 'node:crypto';
import { CustomerEvents, SalesOpportunityEvents, ScoringEvents, type Principal } from '@crm/domain';
import { createOutbox, systemRuntime } from '@crm/platform';
import { eventually } from '@crm/testkit';
import { sql } from 'kysely';
import type { SalesDb } from '../src/db/tables';
import { amountInBaseSql, createExchangeRates, exchangeRateJoin } from '../src/exchange-rates/exchange-rates';
import { createOpportunityService } from '../src/opportunities/opportunity.service';
import { createPipelineService } from '../src/pipelines/pipeline.service';
import { accountPrincipal, admin, as, dealerPrincipal, manager, rep, snapshot, startSales, type SalesHarness } from './harness';

/** Exchange rates, pipelines and opportunities on the real PostgreSQL and Kafka, with every caller's scope. */
let h: SalesHarness;
let sales: SalesDb;
const inject = (method: 'GET' | 'POST' | 'PATCH', url: string, principal: Principal, payload?: object, headers: Record<string, string> = {}) =>
  h.service.app.inject({ method, url, headers: as(principal, headers), ...(payload ? { payload } : {}) });
const count = async (table: string) => Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(`sales.${table}`)}`.execute(h.db)).rows[0]!.n);
const eventsOf = (type: string, id: string) => h.salesEvents.filter((e) => e.type === type && (e.data as { opportunityId?: string }).opportunityId === id);

const dealerA = randomUUID();
const dealerB = randomUUID();
const org = randomUUID();
const person = randomUUID();
const foreignCustomer = randomUUID();
const li = rep(`li-${randomUUID().slice(0, 6)}`);
const wang = rep(`wang-${randomUUID().slice(0, 6)}`);
const zhao = rep(`zhao-${randomUUID().slice(0, 6)}`);
const boss = manager(`boss-${randomUUID().slice(0, 6)}`);
let directPipeline: string;

const stages = [
  { key: 'qualify', name: 'Qualify', probability: 10, forecastCategory: 'pipeline' },
  { key: 'propose', name: 'Propose', probability: 40, forecastCategory: 'best_case' },
  { key: 'negotiate', name: 'Negotiate', probability: 80, forecastCategory: 'commit' },
];

beforeAll(async () => {
  h = await startSales();
  sales = h.db.withSchema('sales') as unknown as SalesDb;
  await h.knownCustomer(snapshot(org, { kind: 'organization', dealerId: dealerA }));
  await h.knownCustomer(snapshot(person, { dealerId: dealerA }));
  await h.knownCustomer(snapshot(foreignCustomer, { dealerId: dealerB }));
  const team = await inject('POST', '/v1/sales-teams', admin, { name: 'East', members: [{ subject: li.subject, role: 'rep' }, { subject: wang.subject, role: 'rep' }, { subject: boss.subject, role: 'manager' }] });
  expect(team.statusCode).toBe(201);
  expect((await inject('POST', '/v1/sales-teams', admin, { name: 'West', members: [{ subject: zhao.subject, role: 'rep' }] })).statusCode).toBe(201);
  const direct = await inject('POST', '/v1/pipelines', admin, { name: 'Direct', channel: 'direct', stages });
  expect(direct.statusCode).toBe(201);
  directPipeline = direct.json().id;
  expect((await inject('POST', '/v1/pipelines', admin, { name: 'Dealer', channel: 'dealer', stages: stages.slice(0, 2) })).statusCode).toBe(201);
  await h.publish(ScoringEvents.exchangeRateSet, { currency: 'USD', rate: '7.1', baseCurrency: 'CNY', version: 2, setAt: new Date().toISOString() });
  await eventually('the USD rate', async () => (await createExchangeRates({ baseCurrency: 'CNY' }).toBase(sales, '1', 'USD')) ?? undefined);
});
afterAll(() => h.close());

describe('exchange rates (projected from scoring)', () => {
  const rates = createExchangeRates({ baseCurrency: 'CNY' });

  it('converts to the base currency rounded to it, the base to itself, and knows no rate it was not told', async () => {
    expect(await rates.toBase(sales, '100.005', 'USD')).toBe('710.04');
    expect(await rates.toBase(sales, '12.345', 'CNY')).toBe('12.34');
    expect(await rates.toBase(sales, '100', 'EUR')).toBeNull();
    // A rate against another base currency is no rate into this one.
    expect(await createExchangeRates({ baseCurrency: 'EUR' }).toBase(sales, '1', 'USD')).toBeNull();
  });

  it('joins the rates in SQL for set-based reports: converted, unrounded, null without a rate', async () => {
    const { rows } = await sql<{ currency: string; base: string | null }>`
      select o.currency, ${amountInBaseSql(sql.ref('o.amount'), sql.ref('o.currency'), 'CNY')} as base
      from (values ('2.50'::numeric, 'USD'), ('3.00'::numeric, 'CNY'), ('1.00'::numeric, 'EUR')) as o(amount, currency)
      ${exchangeRateJoin(sql.ref('o.currency'), 'CNY')}
      order by o.currency`.execute(h.db);
    expect(rows.map((r) => [r.currency, r.base === null ? null : Number(r.base)])).toEqual([['CNY', 3], ['EUR', null], ['USD', 17.75]]);
  });

  it('keeps the latest version when an older one arrives late', async () => {
    await h.publish(ScoringEvents.exchangeRateSet, { currency: 'USD', rate: '6.5', baseCurrency: 'CNY', version: 1, setAt: new Date().toISOString() });
    await h.publish(ScoringEvents.exchangeRateSet, { currency: 'JPY', rate: '0.048', baseCurrency: 'CNY', version: 1, setAt: new Date().toISOString() });
    await eventually('the JPY rate', async () => (await rates.toBase(sales, '1000', 'JPY')) ?? undefined);
    expect(await rates.toBase(sales, '1000', 'JPY')).toBe('48.00');
    expect(await rates.toBase(sales, '1', 'USD')).toBe('7.10');
  });
});

describe('pipelines', () => {
  it('refuses reserved or repeated stage keys, bad probabilities and non-admins, writing nothing', async () => {
    const before = await count('pipeline');
    for (const bad of [
      { name: 'X', channel: 'web', stages: [{ key: 'won', name: 'W', probability: 10, forecastCategory: 'pipeline' }] },
      { name: 'X', channel: 'web', stages: [stages[0], stages[0]] },
      { name: 'X', channel: 'web', stages: [{ ...stages[0], probability: 101 }] },
      { name: 'X', channel: 'web', stages: [{ ...stages[0], forecastCategory: 'closed' }] },
      { name: 'X', channel: 'mail', stages },
      { name: 'X', channel: 'web', stages: [] },
    ]) {
      const res = await inject('POST', '/v1/pipelines', admin, bad);
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect((await inject('POST', '/v1/pipelines', li, { name: 'X', channel: 'web', stages })).statusCode).toBe(403);
    expect(await count('pipeline')).toBe(before);
  });

  it('ends every pipeline in won and lost, keeps one default per channel and announces each change', async () => {
    const first = (await inject('POST', '/v1/pipelines', admin, { name: 'Web A', channel: 'web', stages })).json();
    expect(first.isDefault).toBe(true);
    expect(first.stages.map((s: { key: string }) => s.key)).toEqual(['qualify', 'propose', 'negotiate', 'won', 'lost']);
    expect(first.stages.at(-2)).toMatchObject({ kind: 'won', probability: 100, forecastCategory: 'closed' });
    const second = (await inject('POST', '/v1/pipelines', admin, { name: 'Web B', channel: 'web', isDefault: true, stages })).json();
    expect(second.isDefault).toBe(true);
    expect((await inject('GET', `/v1/pipelines/${first.id}`, admin)).json()).toMatchObject({ isDefault: false, version: 2 });
    const web = (await inject('GET', '/v1/pipelines?channel=web', dealerPrincipal(dealerA))).json().items;
    expect(web.filter((p: { isDefault: boolean }) => p.isDefault).map((p: { id: string }) => p.id)).toEqual([second.id]);
    await eventually('pipeline events', async () => {
      const changed = h.salesEvents.filter((e) => e.type === SalesOpportunityEvents.pipelineChanged.type && [first.id, second.id].includes((e.data as { pipelineId: string }).pipelineId));
      return changed.length >= 3 ? changed : undefined;
    });
  });

  it('changes stages under If-Match but never drops one that open opportunities are in', async () => {
    const opp = await inject('POST', '/v1/opportunities', li, { customerId: person, name: 'Stage guard', expectedCloseDate: '2026-12-20', stage: 'propose' });
    expect(opp.statusCode).toBe(201);
    const current = (await inject('GET', `/v1/pipelines/${directPipeline}`, admin)).json();
    expect((await inject('PATCH', `/v1/pipelines/${directPipeline}`, admin, { name: 'Direct' })).statusCode).toBe(428);
    const dropped = await inject('PATCH', `/v1/pipelines/${directPipeline}`, admin, { stages: [stages[0], stages[2]] }, { 'if-match': `"${current.version}"` });
    expect(dropped.statusCode).toBe(422);
    expect(dropped.json().detail).toContain('propose');
    const renamed = await inject('PATCH', `/v1/pipelines/${directPipeline}`, admin, { stages: [stages[0], { ...stages[1], name: 'Proposal', probability: 50 }, stages[2]] }, { 'if-match': `"${current.version}"` });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json().stages[1]).toMatchObject({ key: 'propose', name: 'Proposal', probability: 50 });
  });
});

describe('opportunities', () => {
  const create = (principal: Principal, body: object, headers: Record<string, string> = {}) => inject('POST', '/v1/opportunities', principal, body, headers);

  it('opens one in the channel default pipeline, converts its amount, once per Idempotency-Key, and announces it', async () => {
    const body = {
      customerId: org,
      name: 'Fleet of 20',
      amount: { amount: '150000.50', currency: 'USD' },
      expectedCloseDate: '2026-12-15',
      productLine: 'suv',
      contacts: [{ contactId: randomUUID(), role: 'decision_maker' }, { contactId: randomUUID(), role: 'approver' }],
    };
    const first = await create(li, body, { 'idempotency-key': `opp-${li.subject}` });
    expect(first.statusCode).toBe(201);
    const opp = first.json();
    expect(opp).toMatchObject({
      pipelineId: directPipeline,
      stage: 'qualify',
      status: 'open',
      probability: 10,
      forecastCategory: 'pipeline',
      ownerSubject: li.subject,
      dealerId: null,
      amountInBase: { amount: '1065003.55', currency: 'CNY' },
      amountInBaseMissing: null,
      stageHistory: [{ from: null, to: 'qualify', by: `staff:${li.subject}` }],
    });
    expect(opp.contacts).toHaveLength(2);
    expect((await create(li, body, { 'idempotency-key': `opp-${li.subject}` })).json().id).toBe(opp.id);
    const event = await eventually('created', async () => eventsOf(SalesOpportunityEvents.opportunityCreated.type, opp.id)[0]);
    expect(event.data).toMatchObject({ customerId: org, stage: 'qualify', amount: { amount: '150000.50', currency: 'USD' }, ownerSubject: li.subject });
  });

  it('says why there is no base amount when no rate is known', async () => {
    const opp = (await create(li, { customerId: org, name: 'Euro deal', amount: { amount: '10.00', currency: 'EUR' }, expectedCloseDate: '2026-12-15' })).json();
    expect(opp).toMatchObject({ amountInBase: null, amountInBaseMissing: 'no exchange rate from EUR to CNY is known' });
  });

  it('refuses bad input with a problem each, writing nothing', async () => {
    const before = await Promise.all(['opportunity', 'opportunity_stage_change', 'opportunity_contact'].map(count));
    const base = { customerId: org, name: 'Bad', expectedCloseDate: '2026-12-15' };
    const cases: [object, number, Principal?][] = [
      [{ ...base, amount: { amount: '1.005', currency: 'CNY' } }, 400],
      [{ ...base, amount: { amount: '100.5', currency: 'JPY' } }, 400],
      [{ ...base, amount: { amount: '-1.00', currency: 'CNY' } }, 400],
      [{ ...base, expectedCloseDate: '2026-13-01' }, 400],
      [{ ...base, contacts: [{ contactId: randomUUID(), role: 'boss' }] }, 400],
      [{ ...base, stage: 'won' }, 422],
      [{ ...base, stage: 'nope' }, 422],
      [{ ...base, pipelineId: randomUUID() }, 422],
      [{ ...base, channel: 'agent' }, 422],
      [{ ...base, ownerSubject: zhao.subject }, 422],
      [{ ...base, customerId: randomUUID() }, 404],
      [{ ...base, customerId: foreignCustomer }, 404, dealerPrincipal(dealerA)],
      [{ ...base, ownerSubject: 'x' }, 422, dealerPrincipal(dealerA)],
      [base, 403, accountPrincipal(org, 'buyer')],
    ];
    for (const [body, status, principal] of cases) {
      const res = await create(principal ?? li, body);
      expect([JSON.stringify(body), res.statusCode]).toEqual([JSON.stringify(body), status]);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect(await Promise.all(['opportunity', 'opportunity_stage_change', 'opportunity_contact'].map(count))).toEqual(before);
  });

  it('moves stages forward and back with history, then wins; a won one cannot move', async () => {
    const opp = (await create(wang, { customerId: org, name: 'Moves', amount: { amount: '1000.00', currency: 'CNY' }, expectedCloseDate: '2026-12-31' })).json();
    const move = (stage: string, principal: Principal = wang) => inject('POST', `/v1/opportunities/${opp.id}/stage`, principal, { stage });
    expect((await move('negotiate')).json()).toMatchObject({ stage: 'negotiate', probability: 80, forecastCategory: 'commit' });
    const back = (await move('propose', li)).json();
    expect(back).toMatchObject({ stage: 'propose', probability: 50, forecastCategory: 'best_case' });
    expect(back.stageHistory.map((s: { from: string | null; to: string; by: string }) => [s.from, s.to, s.by])).toEqual([
      [null, 'qualify', `staff:${wang.subject}`],
      ['qualify', 'negotiate', `staff:${wang.subject}`],
      ['negotiate', 'propose', `staff:${li.subject}`],
    ]);
    expect((await move('propose')).statusCode).toBe(409);
    expect((await move('nowhere')).statusCode).toBe(422);
    expect((await move('won')).statusCode).toBe(422);
    const won = await inject('POST', `/v1/opportunities/${opp.id}/won`, wang, { competitor: 'Rival Motors' });
    expect(won.statusCode).toBe(200);
    expect(won.json()).toMatchObject({ status: 'won', stage: 'won', probability: 100, forecastCategory: 'closed', competitor: 'Rival Motors', closedAt: expect.any(String) });
    const before = await count('opportunity_stage_change');
    for (const res of [await move('qualify'), await inject('POST', `/v1/opportunities/${opp.id}/lost`, wang, { reason: 'late' }), await inject('POST', `/v1/opportunities/${opp.id}/won`, wang, {})]) {
      expect(res.statusCode).toBe(409);
      expect(res.json().type).toContain('invalid-transition');
    }
    const stale = (await inject('GET', `/v1/opportunities/${opp.id}`, wang)).json();
    expect((await inject('PATCH', `/v1/opportunities/${opp.id}`, wang, { name: 'x' }, { 'if-match': `"${stale.version}"` })).statusCode).toBe(409);
    expect(await count('opportunity_stage_change')).toBe(before);
    await eventually('stage and won events', async () => {
      const moved = eventsOf(SalesOpportunityEvents.opportunityStageChanged.type, opp.id);
      const wonEvents = eventsOf(SalesOpportunityEvents.opportunityWon.type, opp.id);
      return moved.length === 2 && wonEvents.length === 1 ? true : undefined;
    });
    expect(eventsOf(SalesOpportunityEvents.opportunityWon.type, opp.id)[0]!.data).toMatchObject({ amount: { amount: '1000.00', currency: 'CNY' }, amountInBase: { amount: '1000.00', currency: 'CNY' }, competitor: 'Rival Motors' });
  });

  it('loses one with reason and competitor', async () => {
    const opp = (await create(li, { customerId: person, name: 'Lost cause', expectedCloseDate: '2026-12-31' })).json();
    expect((await inject('POST', `/v1/opportunities/${opp.id}/lost`, li, {})).statusCode).toBe(400);
    const lost = (await inject('POST', `/v1/opportunities/${opp.id}/lost`, li, { reason: 'price', competitor: 'Rival Motors' })).json();
    expect(lost).toMatchObject({ status: 'lost', stage: 'lost', probability: 0, closeReason: 'price', competitor: 'Rival Motors' });
    const event = await eventually('lost', async () => eventsOf(SalesOpportunityEvents.opportunityLost.type, opp.id)[0]);
    expect(event.data).toMatchObject({ fromStage: 'qualify', competitor: 'Rival Motors' });
    expect(JSON.stringify(event.data)).not.toContain('price');
  });

  it('changes an open one under If-Match, and only staff reassign it', async () => {
    const opp = (await create(li, { customerId: org, name: 'Patch me', expectedCloseDate: '2026-12-31' })).json();
    const patch = (body: object, principal: Principal = li, version = opp.version) => inject('PATCH', `/v1/opportunities/${opp.id}`, principal, body, { 'if-match': `"${version}"` });
    expect((await inject('PATCH', `/v1/opportunities/${opp.id}`, li, { name: 'x' })).statusCode).toBe(428);
    expect((await patch({ amount: { amount: '1.001', currency: 'USD' } })).statusCode).toBe(400);
    expect((await patch({ ownerSubject: zhao.subject })).statusCode).toBe(422);
    const changed = await patch({ name: 'Patched', amount: { amount: '10.00', currency: 'USD' }, ownerSubject: wang.subject, contacts: [{ contactId: randomUUID(), role: 'user' }] });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ name: 'Patched', amountInBase: { amount: '71.00' }, ownerSubject: wang.subject, version: opp.version + 1 });
    expect(changed.json().contacts).toHaveLength(1);
    expect((await patch({ name: 'Again' })).statusCode).toBe(412);
    const event = await eventually('changed', async () => eventsOf(SalesOpportunityEvents.opportunityChanged.type, opp.id)[0]);
    expect(event.data).toMatchObject({ changed: ['name', 'amount', 'ownerSubject', 'contacts'], ownerSubject: wang.subject, amount: { amount: '10.00', currency: 'USD' }, version: opp.version + 1 });
    expect(eventsOf(SalesOpportunityEvents.opportunityChanged.type, opp.id)).toHaveLength(1);
  });

  it("shows a rep its own and its team's, a dealer its own, and answers 404 across scopes", async () => {
    const mine = (await create(li, { customerId: org, name: 'Team only', expectedCloseDate: '2026-12-31' })).json();
    const dealers = (await create(dealerPrincipal(dealerA), { customerId: person, name: 'Dealer deal', expectedCloseDate: '2026-12-31' })).json();
    expect(dealers).toMatchObject({ dealerId: dealerA, ownerSubject: null });
    const foreignDealer = (await create(admin, { customerId: foreignCustomer, name: 'Foreign', dealerId: dealerB, expectedCloseDate: '2026-12-31' }));
    expect(foreignDealer.statusCode).toBe(201);

    for (const principal of [zhao, dealerPrincipal(dealerA), dealerPrincipal(dealerB)]) {
      expect((await inject('GET', `/v1/opportunities/${mine.id}`, principal)).statusCode).toBe(404);
      expect((await inject('POST', `/v1/opportunities/${mine.id}/stage`, principal, { stage: 'propose' })).statusCode).toBe(404);
      expect((await inject('POST', `/v1/opportunities/${mine.id}/lost`, principal, { reason: 'x' })).statusCode).toBe(404);
    }
    expect((await inject('GET', `/v1/opportunities/${dealers.id}`, dealerPrincipal(dealerB))).statusCode).toBe(404);
    expect((await inject('GET', `/v1/opportunities/${mine.id}`, wang)).statusCode).toBe(200);
    expect((await inject('GET', `/v1/opportunities/${mine.id}`, boss)).statusCode).toBe(200);
    expect((await inject('GET', `/v1/opportunities/${mine.id}`, accountPrincipal(org, 'viewer'))).statusCode).toBe(403);

    const ids = async (principal: Principal, query = '') => (await inject('GET', `/v1/opportunities?limit=200${query}`, principal)).json().items.map((o: { id: string }) => o.id);
    expect(await ids(wang)).toContain(mine.id);
    expect(await ids(zhao)).toEqual([]);
    expect(await ids(dealerPrincipal(dealerA))).toEqual([dealers.id]);
    expect(await ids(dealerPrincipal(dealerB))).toEqual([foreignDealer.json().id]);
    expect(await ids(admin)).toEqual(expect.arrayContaining([mine.id, dealers.id, foreignDealer.json().id]));
  });

  it('filters and pages with a cursor', async () => {
    const all = (await inject('GET', `/v1/opportunities?limit=200&customerId=${org}&status=open`, li)).json().items;
    expect(all.length).toBeGreaterThan(2);
    expect(all.every((o: { customerId: string; status: string }) => o.customerId === org && o.status === 'open')).toBe(true);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { id: string }[]; nextCursor: string | null } = (await inject('GET', `/v1/opportunities?limit=2&customerId=${org}&status=open${cursor ? `&cursor=${cursor}` : ''}`, li)).json();
      seen.push(...page.items.map((o) => o.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.map((o: { id: string }) => o.id));
    expect((await inject('GET', '/v1/opportunities?closeFrom=2026-12-20&closeTo=2026-12-20', admin)).json().items.map((o: { name: string }) => o.name)).toEqual(['Stage guard']);
    expect((await inject('GET', '/v1/opportunities?status=closed', li)).statusCode).toBe(400);
  });
});

describe('for the leads and activities features', () => {
  const service = () => {
    const pipelines = createPipelineService({ db: sales, runtime: systemRuntime, outbox: createOutbox('/crm/sales', systemRuntime), write: (work) => sales.transaction().execute(work) });
    return createOpportunityService({
      db: sales, runtime: systemRuntime, outbox: createOutbox('/crm/sales', systemRuntime), write: (work) => sales.transaction().execute(work),
      pipelines, exchangeRates: createExchangeRates({ baseCurrency: 'CNY' }), timeZone: 'Asia/Shanghai',
    });
  };

  it("creates a lead's opportunity in its channel's default pipeline, once per lead, and tells who may see it", async () => {
    const opportunities = service();
    const leadId = randomUUID();
    const lead = { leadId, customerId: person, ownerSubject: null, dealerId: dealerA, channel: 'partner', name: 'From a lead', productLine: 'suv', amount: { amount: '5000', currency: 'CNY' }, pipelineId: null, at: new Date('2026-12-05T08:00:00Z'), by: 'dealer:x' };
    const { opportunityId } = await sales.transaction().execute((trx) => opportunities.createFromLead(trx, lead));
    expect((await sales.transaction().execute((trx) => opportunities.createFromLead(trx, lead))).opportunityId).toBe(opportunityId);
    const created = (await inject('GET', `/v1/opportunities/${opportunityId}`, dealerPrincipal(dealerA))).json();
    expect(created).toMatchObject({ leadId, stage: 'qualify', dealerId: dealerA, expectedCloseDate: '2027-03-05' });
    expect((await inject('GET', `/v1/pipelines/${created.pipelineId}`, admin)).json().channel).toBe('dealer');
    expect(await opportunities.visibleParty(sales, dealerPrincipal(dealerA), opportunityId)).toEqual({ customerId: person, dealerId: dealerA, ownerSubject: null });
    expect(await opportunities.visibleParty(sales, dealerPrincipal(dealerB), opportunityId)).toBeNull();
    expect(await opportunities.visibleParty(sales, li, opportunityId)).toBeNull();
    expect(await opportunities.visibleParty(sales, accountPrincipal(person, 'buyer'), opportunityId)).toBeNull();
    expect(await opportunities.visibleParty(sales, admin, randomUUID())).toBeNull();
    // A hotline lead routed to a dealer is dealer sales; one the manufacturer keeps is phone sales, and no phone pipeline exists yet.
    const routed = await sales.transaction().execute((trx) => opportunities.createFromLead(trx, { ...lead, leadId: randomUUID(), channel: 'hotline' }));
    expect((await inject('GET', `/v1/opportunities/${routed.opportunityId}`, admin)).json().pipelineId).toBe(created.pipelineId);
    await expect(sales.transaction().execute((trx) => opportunities.createFromLead(trx, { ...lead, leadId: randomUUID(), channel: 'hotline', dealerId: null }))).rejects.toThrow(/phone/);
  });
});

describe('customer lifecycle', () => {
  it("moves a merged customer's opportunities, exports them, and erases them with their history and contacts", async () => {
    const duplicate = randomUUID();
    await h.knownCustomer(snapshot(duplicate));
    const opp = (await inject('POST', '/v1/opportunities', li, { customerId: duplicate, name: 'Dup', expectedCloseDate: '2026-12-31', contacts: [{ contactId: randomUUID(), role: 'user' }] })).json();
    const survivor = randomUUID();
    await h.knownCustomer(snapshot(survivor));
    await h.publish(CustomerEvents.merged, { survivorId: survivor, mergedId: duplicate, survivor: snapshot(survivor, { version: 5 }) });
    await eventually('moved', async () => ((await inject('GET', `/v1/opportunities/${opp.id}`, li)).json().customerId === survivor ? true : undefined));
    const exported = (await inject('GET', `/v1/customers/${survivor}/personal-data`, admin)).json();
    expect(exported.sections.opportunities.map((o: { id: string }) => o.id)).toEqual([opp.id]);
    await h.publish(CustomerEvents.erased, { customerId: survivor, mergedIds: [duplicate] });
    await eventually('erased', async () => ((await inject('GET', `/v1/opportunities/${opp.id}`, admin)).statusCode === 404 ? true : undefined));
    const left = await sql<{ n: string }>`select (select count(*) from sales.opportunity_stage_change where opportunity_id = ${opp.id}) + (select count(*) from sales.opportunity_contact where opportunity_id = ${opp.id}) as n`.execute(h.db);
    expect(Number(left.rows[0]!.n)).toBe(0);
  });
});
