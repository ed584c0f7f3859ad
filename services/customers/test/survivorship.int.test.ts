import { CloudEvent, ScoringEvents } from '@crm/domain';
import { cloudEventOf, systemRuntime } from '@crm/platform';
import { eventually, readTopic } from '@crm/testkit';
import type { InjectOptions } from 'light-my-request';
import { admin, as, startCustomers, type Harness } from './harness';

/**
 * Merge survivorship where it matters: both customers hold different non-empty values for the same
 * fields, and the rule (customer.model.ts `survive`) decides each one. Every field is asserted, so a
 * change that lets the wrong side win fails here.
 */
let h: Harness;
beforeAll(async () => {
  h = await startCustomers();
  for (const definition of [
    { name: 'segment', type: 'enum', allowedValues: ['retail', 'fleet'] },
    { name: 'shoeSize', type: 'number' },
    { name: 'vip', type: 'boolean' },
  ]) {
    expect((await inject({ method: 'POST', url: '/v1/attribute-definitions', headers: as(admin), payload: definition })).statusCode).toBe(201);
  }
  for (const code of ['SURV-1', 'SURV-2']) {
    const dealer = await inject({ method: 'POST', url: '/v1/dealers', headers: as(admin), payload: { code, name: `Dealer ${code}` } });
    expect(dealer.statusCode).toBe(201);
    dealers.push(dealer.json().id);
  }
});
afterAll(async () => {
  await h?.close();
});

const inject = (options: InjectOptions) => h.service.app.inject(options);
const dealers: string[] = [];
const address = (city: string) => ({ kind: 'home', line1: `1 ${city} Road`, city, country: 'CN' });
const create = async (payload: Record<string, unknown>) => {
  const created = await inject({ method: 'POST', url: '/v1/customers', headers: as(admin), payload: { kind: 'person', ...payload } });
  expect(created.statusCode).toBe(201);
  return created.json<{ id: string; version: number }>();
};
const consent = async (id: string, channel: string, granted: boolean, recordedAt: string) =>
  expect((await inject({ method: 'PUT', url: `/v1/customers/${id}/consents/${channel}`, headers: as(admin), payload: { granted, source: 'test', recordedAt } })).statusCode).toBe(200);
const merge = async (survivorId: string, duplicateId: string, prefer?: Record<string, string>) => {
  const merged = await inject({ method: 'POST', url: `/v1/customers/${survivorId}/merge`, headers: as(admin), payload: { duplicateId, ...(prefer ? { prefer } : {}) } });
  expect(merged.statusCode).toBe(200);
  return merged.json();
};

it('takes each chosen field from the side that set it last, unites lists, combines attributes and keeps the newest consent', async () => {
  const survivor = await create({
    givenName: 'Wei', familyName: 'Li', birthDate: '1980-01-01', lifecycleStage: 'active', roles: ['customer'], dealerId: dealers[0],
    emails: ['wei.li@example.com'], phones: ['+8613800138000'], addresses: [address('Shanghai')],
    attributes: { segment: 'fleet', vip: true }, externalIds: [{ system: 'erp', id: 'SURV-S' }],
  });
  // Set after the survivor's names but before the duplicate's: matters for the second merge below.
  const between = await create({ givenName: 'Way', familyName: 'Lyu', emails: ['way.lyu@example.com'] });
  const duplicate = await create({
    givenName: 'Wai', familyName: 'Lee', birthDate: '1981-02-02', lifecycleStage: 'loyal', roles: ['supplier'], dealerId: dealers[1],
    emails: ['wai.lee@example.com'], phones: ['+8613900139000'], addresses: [address('Beijing')],
    attributes: { segment: 'retail', shoeSize: 42 }, externalIds: [{ system: 'shop', id: 'SURV-D' }],
  });
  // The survivor changes two fields after the duplicate was created: there the survivor's values are newer.
  const patched = await inject({ method: 'PATCH', url: `/v1/customers/${survivor.id}`, headers: as(admin, { 'if-match': '"1"' }), payload: { birthDate: '1980-03-03', lifecycleStage: 'at_risk' } });
  expect(patched.statusCode).toBe(200);
  await consent(survivor.id, 'sms', true, '2026-01-01T00:00:00Z');
  await consent(duplicate.id, 'sms', false, '2026-02-01T00:00:00Z');
  await consent(survivor.id, 'email', false, '2026-03-01T00:00:00Z');
  await consent(duplicate.id, 'email', true, '2026-01-15T00:00:00Z');
  await consent(duplicate.id, 'phone', true, '2026-01-10T00:00:00Z');

  const merged = await merge(survivor.id, duplicate.id);
  expect(merged).toEqual(expect.objectContaining({
    id: survivor.id,
    kind: 'person',
    // The duplicate set these last.
    givenName: 'Wai',
    familyName: 'Lee',
    displayName: 'Wai Lee',
    dealerId: dealers[1],
    // The survivor set these last.
    birthDate: '1980-03-03',
    lifecycleStage: 'at_risk',
    // Lists united, the survivor's first (its address stays the primary one).
    roles: ['customer', 'supplier'],
    emails: ['wei.li@example.com', 'wai.lee@example.com'],
    phones: ['+8613800138000', '+8613900139000'],
    addresses: [address('Shanghai'), address('Beijing')],
    // Combined key by key; on a key both hold, the survivor's value.
    attributes: { segment: 'fleet', vip: true, shoeSize: 42 },
  }));
  expect(merged.externalIds).toEqual(expect.arrayContaining([{ system: 'erp', id: 'SURV-S' }, { system: 'shop', id: 'SURV-D' }]));
  expect(merged.externalIds).toHaveLength(2);
  // Per channel the newest decision, whichever side made it.
  expect(merged.consents).toEqual({
    sms: expect.objectContaining({ granted: false, recordedAt: '2026-02-01T00:00:00.000Z' }),
    email: expect.objectContaining({ granted: false, recordedAt: '2026-03-01T00:00:00.000Z' }),
    phone: expect.objectContaining({ granted: true, recordedAt: '2026-01-10T00:00:00.000Z' }),
  });
  const exported = (await inject({ method: 'GET', url: `/v1/customers/${survivor.id}/export`, headers: as(admin) })).json();
  expect(exported.consentHistory).toHaveLength(5);

  // The merged record keeps when each surviving value was set: a customer whose names were set before
  // the duplicate's (but after the survivor's) does not win them in a later merge.
  const again = await merge(survivor.id, between.id);
  expect(again).toEqual(expect.objectContaining({ givenName: 'Wai', familyName: 'Lee', displayName: 'Wai Lee' }));
  expect(again.emails).toEqual(['wei.li@example.com', 'wai.lee@example.com', 'way.lyu@example.com']);

  // The merged event carries the survivor's snapshot with its current version (read models compare it).
  const messages = await readTopic(`${h.topicPrefix}crm.customers`, {
    until: (ms) => ms.filter((m) => m.key?.toString() === survivor.id && JSON.parse(m.value!.toString()).type === 'crm.customer.merged.v1').length >= 2,
  });
  const mergedEvents = messages.map((m) => CloudEvent.parse(JSON.parse(m.value!.toString()))).filter((e) => e.type === 'crm.customer.merged.v1' && e.subject === survivor.id);
  expect(mergedEvents.map((e) => (e.data as { survivor: { version: number } }).survivor.version)).toEqual([merged.version, again.version]);
  expect(again.version).toBeGreaterThan(merged.version);
});

it('keeps the survivor on a tie, and lets the caller choose a side per field', async () => {
  // Created in one batch: every field of both was set at the same instant.
  const batch = async () => {
    const response = await inject({
      method: 'POST',
      url: '/v1/customers/batch',
      headers: as(admin),
      payload: {
        items: [
          { customer: { kind: 'person', givenName: 'Ming', familyName: 'Zhao', birthDate: '1970-07-07', lifecycleStage: 'loyal', roles: ['customer'], dealerId: dealers[0], emails: ['ming@example.com'], attributes: { segment: 'fleet' } } },
          { customer: { kind: 'person', givenName: 'Min', familyName: 'Chao', birthDate: '1971-08-08', lifecycleStage: 'new', roles: ['prospect'], dealerId: dealers[1], emails: ['min@example.com'], attributes: { segment: 'retail' } } },
        ],
      },
    });
    expect(response.statusCode).toBe(200);
    return (response.json().results as { id: string }[]).map((r) => r.id);
  };
  const [survivor, duplicate] = await batch();
  expect(await merge(survivor!, duplicate!)).toEqual(expect.objectContaining({
    givenName: 'Ming', familyName: 'Zhao', displayName: 'Ming Zhao', birthDate: '1970-07-07', lifecycleStage: 'loyal', dealerId: dealers[0],
    roles: ['customer', 'prospect'], emails: ['ming@example.com', 'min@example.com'], attributes: { segment: 'fleet' },
  }));

  const [survivor2, duplicate2] = await batch();
  const chosen = await merge(survivor2!, duplicate2!, { givenName: 'duplicate', lifecycleStage: 'duplicate', emails: 'duplicate', attributes: 'duplicate' });
  expect(chosen).toEqual(expect.objectContaining({
    givenName: 'Min', lifecycleStage: 'new', emails: ['min@example.com'], attributes: { segment: 'retail' },
    familyName: 'Zhao', birthDate: '1970-07-07', dealerId: dealers[0], roles: ['customer', 'prospect'],
    // The survivor's display name was derived from its names: it follows the merged ones.
    displayName: 'Min Zhao',
  }));
});

it('never lets a default win over a value someone set', async () => {
  const survivor = await create({ givenName: 'Hui', familyName: 'Sun', lifecycleStage: 'active', roles: ['customer'] });
  // Created later with names only: its lifecycle stage is the default, set by nobody.
  const duplicate = await create({ givenName: 'Hui', familyName: 'Sun', emails: ['hui.sun@example.com'] });
  const merged = await merge(survivor.id, duplicate.id);
  expect(merged).toEqual(expect.objectContaining({ lifecycleStage: 'active', emails: ['hui.sun@example.com'] }));
  // A newer given name alone replaces only the given name; the display name follows the merged names.
  const named = await create({ givenName: 'Hong', familyName: 'Xu' });
  expect(await merge(named.id, (await create({ givenName: 'Hung' })).id)).toEqual(expect.objectContaining({ givenName: 'Hung', familyName: 'Xu', displayName: 'Hung Xu' }));
  // And the other way round: the duplicate's set stage wins over the newer survivor's default.
  const set = await create({ givenName: 'Jun', familyName: 'Ma', lifecycleStage: 'loyal' });
  const plain = await create({ givenName: 'Jun', familyName: 'Ma' });
  expect((await merge(plain.id, set.id)).lifecycleStage).toBe('loyal');
});

it("puts another service's late event about a merged-away customer on the survivor's timeline", async () => {
  const survivor = await create({ givenName: 'Lan', familyName: 'Hu' });
  const duplicate = await create({ givenName: 'Lan', familyName: 'Hu' });
  await merge(survivor.id, duplicate.id);
  // Scoring sent this about the duplicate before it learnt of the merge.
  const event = cloudEventOf('/crm/scoring', systemRuntime, ScoringEvents.tierChanged, { customerId: duplicate.id, from: null, to: 'Gold', reason: 'rules' });
  await h.bus.publish(ScoringEvents.tierChanged.topic, [{ key: duplicate.id, value: JSON.stringify(event) }]);
  await eventually('the tier change on the survivor\'s timeline', async () => {
    const page = (await inject({ method: 'GET', url: `/v1/customers/${survivor.id}/timeline?limit=50`, headers: as(admin) })).json();
    return page.items.some((e: { type: string }) => e.type === 'crm.scoring.tier-changed.v1') ? true : undefined;
  });
});
