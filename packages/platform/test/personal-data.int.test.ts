import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@crm/testkit';
import type { Kysely } from 'kysely';
import { openDatabase } from '../src/database';
import { onceForKey } from '../src/http';
import { migrateToLatest } from '../src/migrations';
import { erasePlatformRecords, valueFreeMessage } from '../src/personal-data';
import { platformTablesMigration } from '../src/platform-tables.migration';
import { ProblemError } from '../src/problems';

const SCHEMA = 'erasure_svc';
let database: TestDatabase;
let root: Kysely<unknown>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a service's schema-scoped handle, as services hold it
let db: Kysely<any>;

beforeAll(async () => {
  database = await createTestDatabase();
  root = openDatabase({ kind: 'postgres', url: database.url, poolSize: 2 });
  await migrateToLatest(root, { schema: SCHEMA, migrations: { '2026-11-23T00:00_platform': platformTablesMigration } });
  db = root.withSchema(SCHEMA);
});
afterAll(async () => {
  await root?.destroy();
  await database?.drop();
});

const create = (key: string, body: unknown) =>
  db.transaction().execute((trx) => onceForKey(trx, { scope: 'people.create', key, hash: 'h1' }, async () => ({ statusCode: 201, body })));

describe('erasePlatformRecords', () => {
  it('scrubs the responses, dead letters and unpublished events about the person and nobody else', async () => {
    const [person, alias, other] = [randomUUID(), randomUUID(), randomUUID()];
    await create('k-person', { id: person, name: 'Ada' });
    await create('k-alias', { items: [{ personId: alias, jobTitle: 'CTO' }] });
    await create('k-other', { id: other, name: 'Bob' });
    await db.insertInto('dead_letter').values([
      { consumer_group: 'g', topic: 't', message_key: person, message_value: 'garbage', error: 'e' },
      { consumer_group: 'g', topic: 't', message_key: 'unrelated-key', message_value: `{"about":"${alias}"}`, error: 'e' },
      { consumer_group: 'g', topic: 't', message_key: other, message_value: 'garbage', error: 'e' },
    ]).execute();
    await db.insertInto('outbox').values([
      { event_id: randomUUID(), topic: 't', key: person, event: '{}' },
      { event_id: randomUUID(), topic: 't', key: other, event: '{}' },
    ]).execute();

    const erased = await db.transaction().execute((trx) => erasePlatformRecords(trx, [person, alias]));
    expect(erased).toEqual({ idempotentResponses: 2, deadLetters: 2, unpublishedEvents: 1 });
    expect(await db.selectFrom('dead_letter').select('message_key').execute()).toEqual([{ message_key: other }]);
    expect(await db.selectFrom('outbox').select('key').execute()).toEqual([{ key: other }]);
    const keys = await db.selectFrom('idempotency_key').select(['key', 'status_code', 'response', 'request_hash']).orderBy('key').execute();
    expect(keys).toEqual([
      { key: 'k-alias', status_code: 410, response: null, request_hash: 'erased' },
      { key: 'k-other', status_code: 201, response: { id: other, name: 'Bob' }, request_hash: 'h1' },
      { key: 'k-person', status_code: 410, response: null, request_hash: 'erased' },
    ]);

    // A replay of a scrubbed key answers 410 and runs nothing; the others replay as before.
    const replay = create('k-person', { id: randomUUID(), name: 'Ada again' });
    await expect(replay).rejects.toBeInstanceOf(ProblemError);
    await expect(replay).rejects.toMatchObject({ problem: { status: 410 } });
    expect(await create('k-other', { ignored: true })).toEqual({ statusCode: 201, body: { id: other, name: 'Bob' }, replayed: true });
  });

  it("also deletes dead letters that quote one of the person's e-mail addresses or phone numbers, whatever their key", async () => {
    await db.deleteFrom('dead_letter').execute();
    await db.insertInto('dead_letter').values([
      { consumer_group: 'g', topic: 't', message_key: 'k1', message_value: '{"mail":"ADA@example.com"}', error: 'e' },
      { consumer_group: 'g', topic: 't', message_key: 'k2', message_value: 'call +447700900123', error: 'e' },
      { consumer_group: 'g', topic: 't', message_key: 'k3', message_value: 'bob@example.com', error: 'e' },
    ]).execute();
    const erased = await erasePlatformRecords(db, [randomUUID()], ['ada@example.com', '+447700900123']);
    expect(erased.deadLetters).toBe(2);
    expect(await db.selectFrom('dead_letter').select('message_key').execute()).toEqual([{ message_key: 'k3' }]);
  });

  it('does nothing without ids', async () => {
    expect(await erasePlatformRecords(db, [])).toEqual({ idempotentResponses: 0, deadLetters: 0, unpublishedEvents: 0 });
  });
});

describe('valueFreeMessage', () => {
  it('never names the unknown keys a sender typed', () => {
    expect(valueFreeMessage({ code: 'unrecognized_keys', message: 'Unrecognized key: "Ada Lovelace"' })).toBe('unknown field(s)');
    expect(valueFreeMessage({ code: 'invalid_type', message: 'Invalid input: expected string' })).toBe('Invalid input: expected string');
  });
});
