import { CloudEvent, CustomerEvents, ScoringEvents } from '@crm/domain';
import { cloudEventOf, systemRuntime } from '@crm/platform';
import { eventually, readTopic } from '@crm/testkit';
import { sql } from 'kysely';
import type { InjectOptions } from 'light-my-request';
import { admin, as, startCustomers, type Harness } from './harness';

/** Erasure directly against the customers service: merged ids, other timelines, stored responses, late reports. */
let h: Harness;
beforeAll(async () => {
  h = await startCustomers();
});
afterAll(async () => {
  await h?.close();
});

const inject = (options: InjectOptions) => h.service.app.inject(options);
const count = async (query: ReturnType<typeof sql>) => Number((await sql<{ n: string }>`${query}`.execute(h.db)).rows[0]?.n ?? 0);

describe('erasing a person', () => {
  it('erases the ids merged into it, scrubs other timelines and stored responses, and says so on the topic', async () => {
    const survivor = (await inject({ method: 'POST', url: '/v1/customers', headers: as(admin), payload: { kind: 'person', givenName: 'Oona', familyName: 'Survivor' } })).json();
    const duplicateKey = { 'idempotency-key': 'create-duplicate-1' };
    const duplicateBody = { kind: 'person', givenName: 'Oona', familyName: 'Duplicate', emails: ['oona.duplicate@example.com'] };
    const duplicate = (await inject({ method: 'POST', url: '/v1/customers', headers: as(admin, duplicateKey), payload: duplicateBody })).json();
    const organization = (await inject({ method: 'POST', url: '/v1/customers', headers: as(admin), payload: { kind: 'organization', organizationName: 'Stays Ltd' } })).json();
    const contact = await inject({
      method: 'POST',
      url: `/v1/customers/${organization.id}/contacts`,
      headers: as(admin),
      payload: { personId: duplicate.id, buyingRole: 'purchaser', jobTitle: 'Oona Duplicate, buyer' },
    });
    expect(contact.statusCode).toBe(201);
    expect((await inject({ method: 'POST', url: `/v1/customers/${survivor.id}/merge`, headers: as(admin), payload: { duplicateId: duplicate.id } })).statusCode).toBe(200);

    expect((await inject({ method: 'DELETE', url: `/v1/customers/${survivor.id}`, headers: as(admin) })).statusCode).toBe(204);

    // Both rows are anonymous tombstones; nothing of either name, e-mail or job title is left in the schema.
    const { rows } = await sql<{ id: string; status: string; display_name: string; emails: string[] }>`
      select id, status, display_name, emails from customers.customer where id in (${survivor.id}, ${duplicate.id}) order by id`.execute(h.db);
    expect(rows.map((r) => [r.status, r.display_name, r.emails])).toEqual([['erased', 'erased', []], ['erased', 'erased', []]]);
    expect(await count(sql`select count(*) as n from customers.timeline_entry t where t::text ilike '%oona%'`)).toBe(0);
    expect(await count(sql`select count(*) as n from customers.idempotency_key t where t::text ilike '%oona%'`)).toBe(0);
    expect(await count(sql`select count(*) as n from customers.contact where person_id in (${survivor.id}, ${duplicate.id})`)).toBe(0);

    // The organisation keeps its own history: a contact was added; who it was is gone.
    const timeline = (await inject({ method: 'GET', url: `/v1/customers/${organization.id}/timeline`, headers: as(admin) })).json();
    expect(timeline.items.map((e: { data: { contact?: unknown } }) => e.data.contact).filter(Boolean)).toEqual(['erased']);
    expect((await inject({ method: 'GET', url: `/v1/customers/${organization.id}`, headers: as(admin) })).json().organizationName).toBe('Stays Ltd');

    // The merged-away person's create, replayed, answers 410 and re-creates nobody.
    const replay = await inject({ method: 'POST', url: '/v1/customers', headers: as(admin, duplicateKey), payload: duplicateBody });
    expect([replay.statusCode, replay.json().type]).toEqual([410, 'urn:crm:problem:gone']);
    expect(replay.body).not.toMatch(/oona/i);
    expect((await inject({ method: 'GET', url: '/v1/customers?email=oona.duplicate%40example.com', headers: as(admin) })).json().items).toEqual([]);

    // The erased event names the merged id, so every consumer drops what it holds under either.
    const messages = await readTopic(`${h.topicPrefix}crm.customers`, { until: (ms) => ms.some((m) => m.value?.toString().includes(CustomerEvents.erased.type) ?? false) });
    const erased = messages.map((m) => CloudEvent.parse(JSON.parse(m.value!.toString()))).find((e) => e.type === CustomerEvents.erased.type);
    expect(erased).toMatchObject({ subject: survivor.id, data: { customerId: survivor.id, mergedIds: [duplicate.id] } });
    expect(messages.filter((m) => /oona/i.test(m.value?.toString() ?? ''))).toEqual([]);
  });

  it("keeps other services' later reports about an erased customer off its timeline, and drops dead letters about it", async () => {
    const c = (await inject({ method: 'POST', url: '/v1/customers', headers: as(admin), payload: { kind: 'person', givenName: 'Late' } })).json();
    await h.bus.publish(ScoringEvents.tierChanged.topic, [{ key: c.id, value: 'not json about Late' }]);
    await eventually('the dead letter', async () => ((await count(sql`select count(*) as n from customers.dead_letter where message_key = ${c.id}`)) > 0 ? true : undefined));
    expect((await inject({ method: 'DELETE', url: `/v1/customers/${c.id}`, headers: as(admin) })).statusCode).toBe(204);
    expect(await count(sql`select count(*) as n from customers.dead_letter where message_key = ${c.id}`)).toBe(0);

    const left = cloudEventOf('/crm/scoring', systemRuntime, ScoringEvents.segmentLeft, { segmentId: c.id, customerId: c.id });
    const marker = cloudEventOf('/crm/scoring', systemRuntime, ScoringEvents.tierChanged, { customerId: c.id, from: null, to: 'Gold', reason: 'rules' });
    await h.bus.publish(ScoringEvents.segmentLeft.topic, [{ key: c.id, value: JSON.stringify(left) }, { key: c.id, value: JSON.stringify(marker) }]);
    await eventually('both reports handled', async () =>
      (await count(sql`select count(*) as n from customers.inbox where event_id in (${left.id}, ${marker.id})`)) === 2 ? true : undefined);
    expect(await count(sql`select count(*) as n from customers.timeline_entry where customer_id = ${c.id} and type <> ${CustomerEvents.erased.type}`)).toBe(0);
  });
});
