import { randomBytes, randomInt } from 'node:crypto';
import { createKafkaBus, createLogger, openDatabase, type MessageBus } from '@crm/platform';
import { eventually, readEveryTopic, testKafkaBrokers } from '@crm/testkit';
import { ADMIN, callJson, startSuite, type RunningSuite } from './harness';
import { sql, type Kysely } from 'kysely';

/**
 * GDPR erasure reaches everything: a person goes through every path that stores data (idempotent create,
 * update, consent, an organisation's contact, transactions by id and external id, an NDJSON ingest with a
 * rejected line about them, scores, a tier override, tier history, a segment, dead letters in both services),
 * is erased through the gateway, and then no table of any schema and no message on any topic holds their
 * name, e-mail, phone or street.
 */
let suite: RunningSuite;
let db: Kysely<unknown>;
let bus: MessageBus;
let api: string;
let topicPrefix: string;

beforeAll(async () => {
  suite = await startSuite('erasure-test');
  ({ api, topicPrefix } = suite);
  db = openDatabase({ kind: 'postgres', url: suite.database.url, poolSize: 2 });
  bus = createKafkaBus({ brokers: testKafkaBrokers(), clientId: 'erasure-test', topicPrefix, logger: createLogger({ name: 'erasure-test', level: 'silent' }) });
});
afterAll(async () => {
  await bus?.close();
  await db?.destroy();
  await suite?.close();
});

const call = (method: string, url: string, headers: Record<string, string>, body?: unknown) => callJson(api, method, url, headers, body);

const tag = randomBytes(4).toString('hex');
const person = {
  givenName: `Ysolde${tag}`,
  familyName: `Marchetti${tag}`,
  email: `ysolde.${tag}@example.com`,
  phone: `+86138${randomInt(10_000_000, 99_999_999)}`,
  street: `${tag} Erasure Lane 7`,
};
/** Every form in which the person's direct identifiers could have been kept. */
const needles = [person.givenName, person.familyName, person.email, person.phone, person.phone.slice(1), person.street];
const mentionsPerson = (text: string | null) => needles.some((needle) => (text ?? '').toLowerCase().includes(needle.toLowerCase()));

/** Every table of every schema, each row cast to text (every column, jsonb and arrays included): where the person still appears. */
async function tablesMentioningPerson(): Promise<string[]> {
  const { rows: tables } = await sql<{ schema: string; name: string }>`
    select table_schema as schema, table_name as name from information_schema.tables
    where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')
    order by 1, 2`.execute(db);
  expect(tables.map((t) => `${t.schema}.${t.name}`)).toEqual(expect.arrayContaining(['customers.customer', 'scoring.transaction', 'gateway.api_client']));
  const hits: string[] = [];
  for (const { schema, name } of tables) {
    const { rows } = await sql<{ n: string }>`
      select count(*) as n from ${sql.table(`${schema}.${name}`)} t
      where exists (select 1 from unnest(${needles}::text[]) as needle where strpos(lower(t::text), lower(needle)) > 0)`.execute(db);
    if (Number(rows[0]?.n ?? 0) > 0) hits.push(`${schema}.${name}`);
  }
  return hits;
}

const countIn = async (relation: string, where: ReturnType<typeof sql>) =>
  Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(relation)} where ${where}`.execute(db)).rows[0]?.n ?? 0);

describe('erasure through the gateway', () => {
  it('leaves no personal data of the person in any table of any schema, nor on any topic', async () => {
    const createBody = {
      kind: 'person',
      givenName: person.givenName,
      familyName: person.familyName,
      birthDate: '1980-04-02',
      emails: [person.email],
      phones: [person.phone],
      addresses: [{ kind: 'home', line1: person.street, city: 'Shanghai', country: 'CN' }],
      externalIds: [{ system: 'erp', id: `C-${tag}` }],
    };
    // Sales: a hotline lead about them before they were a customer (never linked to the customer), and one after (linked).
    const earlyLead = await call('POST', '/v1/leads', { ...ADMIN, 'idempotency-key': `lead-${tag}` }, { channel: 'hotline', name: `${person.givenName} ${person.familyName}`, email: person.email, phone: person.phone, notes: person.street });
    expect(earlyLead.status).toBe(201);
    expect(earlyLead.body.lead.customerId).toBeNull();
    const createKey = { ...ADMIN, 'idempotency-key': `create-${tag}` };
    const created = await call('POST', '/v1/customers', createKey, createBody);
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    const patched = await call('PATCH', `/v1/customers/${id}`, { ...ADMIN, 'if-match': created.headers.get('etag') ?? '' }, {
      lifecycleStage: 'active',
      displayName: `${person.givenName} ${person.familyName} (VIP)`,
    });
    expect(patched.status).toBe(200);
    expect((await call('PUT', `/v1/customers/${id}/consents/email`, ADMIN, { granted: true, source: 'web form' })).status).toBe(200);

    const organization = await call('POST', '/v1/customers', ADMIN, { kind: 'organization', organizationName: `Org ${tag}` });
    const contactKey = { ...ADMIN, 'idempotency-key': `contact-${tag}` };
    const contactBody = { personId: id, buyingRole: 'decision_maker', jobTitle: `Assistant to ${person.givenName} ${person.familyName}` };
    expect((await call('POST', `/v1/customers/${organization.body.id}/contacts`, contactKey, contactBody)).status).toBe(201);

    // Scoring knows the person once the projection arrived.
    await eventually('the scoring projection', async () => ((await call('GET', `/v1/customers/${id}/scores`, ADMIN)).status === 200 ? true : undefined));
    const occurredAt = new Date(Date.now() - 86_400_000).toISOString();
    const sale = (n: number, customer: unknown, amount: string) => ({
      sourceSystem: 'erp', externalId: `INV-${tag}-${n}`, customer, occurredAt, type: 'sale', amount: { amount, currency: 'CNY' }, quantity: 1, category: 'parts',
    });
    const batch = await call('POST', '/v1/transactions/batch', ADMIN, {
      items: [sale(1, { id }, '12000.00'), sale(2, { externalId: { system: 'erp', id: `C-${tag}` } }, '500.00')],
    });
    expect(batch.body.results.map((r: { status: string }) => r.status)).toEqual(['inserted', 'inserted']);

    // An NDJSON ingest with lines that carry the person's data where they do not belong.
    const ndjson = [
      JSON.stringify(sale(3, { id }, '700.00')),
      JSON.stringify({ [person.givenName]: person.email, sourceSystem: 'erp', externalId: `INV-${tag}-4` }),
      `${person.givenName} ${person.familyName} ${person.email} ${person.phone}`,
    ].join('\n');
    const ingest = await fetch(`${api}/v1/transactions/batch`, { method: 'POST', headers: { ...ADMIN, 'content-type': 'application/x-ndjson' }, body: ndjson });
    const answer = (await ingest.text()).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(answer.at(-1)?.summary).toMatchObject({ inserted: 1, rejected: 2 });
    const job = await call('GET', `/v1/ingest-jobs/${String(answer[0]?.jobId)}`, ADMIN);
    expect(job.body.rejectedLines.map((l: { line: number }) => l.line)).toEqual([2, 3]);
    // Rejection reasons say what is wrong, never what was sent.
    expect(mentionsPerson(job.text)).toBe(false);

    expect((await call('GET', '/v1/tiers', ADMIN)).status).toBe(200);
    expect((await call('PUT', `/v1/customers/${id}/tier-override`, ADMIN, { tier: 'Gold', reason: `asked for by ${person.givenName} on ${person.phone}` })).status).toBe(200);
    const segmentKey = { ...ADMIN, 'idempotency-key': `segment-${tag}` };
    expect((await call('POST', '/v1/segments', segmentKey, { name: `buyers ${tag}`, rule: { field: 'revenue', op: 'gt', value: 0 } })).status).toBe(201);
    const run = await call('POST', '/v1/scoring/runs', ADMIN, {});
    expect(run.status).toBe(202);
    await eventually('the scoring run', async () => {
      const status = (await call('GET', `/v1/scoring/runs/${run.body.id}`, ADMIN)).body.status as string;
      return status === 'succeeded' || status === 'failed' ? status : undefined;
    }, 60_000).then((status) => expect(status).toBe('succeeded'));
    const scores = await call('GET', `/v1/customers/${id}/scores`, ADMIN);
    expect(scores.body).toMatchObject({ historical: { orderCount: 3 }, tier: 'Gold' });
    expect(Number(scores.body.historical.revenue)).toBe(13_200);
    expect((await call('GET', `/v1/customers/${id}/tier-history`, ADMIN)).body.items.length).toBeGreaterThan(0);

    // Dead letters in both services: a malformed message about the person on each consumed topic.
    const malformed = `not an event: ${person.givenName} ${person.familyName} <${person.email}>`;
    await bus.publish('crm.customers', [{ key: id, value: malformed }]);
    await bus.publish('crm.scoring', [{ key: id, value: malformed }]);
    // …and one about them under another key: the customers service still knows their e-mail when it erases.
    const quoting = `garbage quoting ${person.email}`;
    await bus.publish('crm.scoring', [{ key: `unrelated-${tag}`, value: quoting }]);
    await eventually('the dead letters', async () =>
      (await countIn('scoring.dead_letter', sql`message_key = ${id}`)) > 0 && (await countIn('customers.dead_letter', sql`message_key in (${id}, ${`unrelated-${tag}`})`)) === 2 ? true : undefined);
    await eventually('the tier change on the timeline', async () =>
      (await countIn('customers.timeline_entry', sql`customer_id = ${id} and type = 'crm.scoring.tier-changed.v1'`)) > 0 ? true : undefined);

    // The search finds the person where the paths above put them: it can see what it looks for.
    const mentioning = await tablesMentioningPerson();
    expect(mentioning).toEqual(expect.arrayContaining(['customers.customer', 'customers.idempotency_key', 'customers.timeline_entry', 'scoring.tier_override', 'sales.lead', 'sales.idempotency_key']));
    // Garbage is dead-lettered without its content (no erasure could attribute it): no dead letter quotes the person.
    expect(mentioning.filter((table) => table.endsWith('.dead_letter'))).toEqual([]);

    expect((await call('DELETE', `/v1/customers/${id}`, ADMIN)).status).toBe(204);
    expect((await call('GET', `/v1/customers/${id}`, ADMIN)).status).toBe(410);

    // Scoring honours the erased event asynchronously; then nothing anywhere mentions the person.
    await eventually('scoring to drop the person', async () =>
      (await countIn('scoring.customer', sql`id = ${id}`)) === 0 && (await countIn('scoring.dead_letter', sql`message_key = ${id}`)) === 0 ? true : undefined);
    await eventually('no table mentioning the person', async () => ((await tablesMentioningPerson()).length === 0 ? true : undefined), 30_000).catch(() => undefined);
    expect(await tablesMentioningPerson()).toEqual([]);

    // Sales stay as anonymous revenue; nothing derived from the person does.
    expect(await countIn('scoring.transaction', sql`external_id like ${`INV-${tag}-%`} and customer_id is null and customer_ref_id is null`)).toBe(3);
    for (const derived of ['scoring.customer_score', 'scoring.tier_history', 'scoring.tier_override', 'scoring.segment_member', 'scoring.customer_external_id']) {
      expect([derived, await countIn(derived, sql`customer_id = ${id}`)]).toEqual([derived, 0]);
    }

    // Replaying the create (or the contact) after erasure answers 410 and neither returns nor re-creates the person.
    const replay = await call('POST', '/v1/customers', createKey, createBody);
    expect(replay.status).toBe(410);
    expect(replay.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(mentionsPerson(replay.text)).toBe(false);
    const replayedContact = await call('POST', `/v1/customers/${organization.body.id}/contacts`, contactKey, contactBody);
    expect(replayedContact.status).toBe(410);
    expect((await call('GET', `/v1/customers?email=${encodeURIComponent(person.email)}`, ADMIN)).body.items).toEqual([]);
    // The organisation's history keeps that a contact was added, not who it was.
    const orgTimeline = await call('GET', `/v1/customers/${organization.body.id}/timeline`, ADMIN);
    expect(orgTimeline.body.items.find((e: { data: { contact?: unknown } }) => e.data.contact !== undefined)?.data.contact).toBe('erased');

    // The topics, read from the start: the suite's events never carried the person's direct identifiers
    // (what this test itself put there as garbage stays until the topic retention drops it).
    const records = await readEveryTopic(topicPrefix);
    const ours = records.filter((r) => r.value !== malformed && r.value !== quoting);
    expect(ours.some((r) => r.key === id && (r.value ?? '').includes('crm.customer.erased.v1'))).toBe(true);
    expect(ours.some((r) => r.key === id && (r.value ?? '').includes('crm.customer.created.v1'))).toBe(true);
    expect(ours.filter((r) => mentionsPerson(r.key) || mentionsPerson(r.value))).toEqual([]);
  });
});
