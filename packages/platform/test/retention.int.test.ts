import { createTestDatabase, type TestDatabase } from '@crm/testkit';
import { sql, type Kysely } from 'kysely';
import pino from 'pino';
import { baseConfigSchema, loadConfig } from '../src/config';
import { openDatabase } from '../src/database';
import { migrateToLatest } from '../src/migrations';
import { platformTablesMigration } from '../src/platform-tables.migration';
import { ingestJobRetentionRule, platformRetentionRules, purgeExpired, retentionSettingsSchema, startRetention } from '../src/retention';
import { systemRuntime, type Runtime } from '../src/runtime';

const SCHEMA = 'retention_svc';
const logger = pino({ level: 'silent' });
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** The injected clock, far from the database's own: only it decides what is old. */
const NOW = Date.parse('2031-03-01T12:00:00Z');
const clock: Runtime = { now: () => new Date(NOW), newId: () => systemRuntime.newId() };
const ago = (ms: number) => new Date(NOW - ms).toISOString();

let database: TestDatabase;
let root: Kysely<unknown>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a service's schema-scoped handle, as services hold it
let db: Kysely<any>;

beforeAll(async () => {
  database = await createTestDatabase();
  root = openDatabase({ kind: 'postgres', url: database.url, poolSize: 2 });
  await migrateToLatest(root, { schema: SCHEMA, migrations: { '2026-11-23T00:00_platform': platformTablesMigration } });
  db = root.withSchema(SCHEMA);
  await sql`create table retention_svc.ingest_job (id text primary key, status text not null, finished_at timestamptz)`.execute(root);
});
afterAll(async () => {
  await root?.destroy();
  await database?.drop();
});
beforeEach(async () => {
  for (const table of ['idempotency_key', 'inbox', 'dead_letter', 'ingest_job']) await db.deleteFrom(table).execute();
});

async function seed(): Promise<void> {
  await db.insertInto('idempotency_key').values([
    { scope: 's', key: 'old', request_hash: 'h', created_at: ago(25 * HOUR) },
    { scope: 's', key: 'fresh', request_hash: 'h', created_at: ago(23 * HOUR) },
  ]).execute();
  await db.insertInto('inbox').values([
    { consumer_group: 'g', event_id: 'old', handled_at: ago(8 * DAY) },
    { consumer_group: 'g', event_id: 'fresh', handled_at: ago(6 * DAY) },
  ]).execute();
  await db.insertInto('dead_letter').values([
    { consumer_group: 'g', topic: 't', message_key: 'old', message_value: 'x', error: 'e', created_at: ago(31 * DAY) },
    { consumer_group: 'g', topic: 't', message_key: 'fresh', message_value: 'x', error: 'e', created_at: ago(29 * DAY) },
  ]).execute();
  await db.insertInto('ingest_job').values([
    { id: 'old', status: 'succeeded', finished_at: ago(31 * DAY) },
    { id: 'fresh', status: 'failed', finished_at: ago(29 * DAY) },
    { id: 'running', status: 'running', finished_at: null },
  ]).execute();
}

const left = async () => ({
  idempotency_key: (await db.selectFrom('idempotency_key').select('key').orderBy('key').execute()).map((r) => r.key),
  inbox: (await db.selectFrom('inbox').select('event_id').orderBy('event_id').execute()).map((r) => r.event_id),
  dead_letter: (await db.selectFrom('dead_letter').select('message_key').orderBy('message_key').execute()).map((r) => r.message_key),
  ingest_job: (await db.selectFrom('ingest_job').select('id').orderBy('id').execute()).map((r) => r.id),
});

describe('retention', () => {
  const defaults = retentionSettingsSchema.parse({});

  it('has the documented defaults', () => {
    expect(defaults).toEqual({ RETENTION_IDEMPOTENCY_HOURS: 24, RETENTION_INBOX_DAYS: 7, RETENTION_DEAD_LETTER_DAYS: 30, RETENTION_INGEST_JOB_DAYS: 30 });
  });

  it('purges rows older than each age by the injected clock, and keeps younger ones and running jobs', async () => {
    await seed();
    const options = { db, schema: SCHEMA, rules: [...platformRetentionRules(defaults), ingestJobRetentionRule(defaults)], runtime: clock, logger };
    expect(await purgeExpired(options)).toEqual({ idempotency_key: 1, inbox: 1, dead_letter: 1, ingest_job: 1 });
    expect(await left()).toEqual({ idempotency_key: ['fresh'], inbox: ['fresh'], dead_letter: ['fresh'], ingest_job: ['fresh', 'running'] });
    expect(await purgeExpired(options)).toEqual({ idempotency_key: 0, inbox: 0, dead_letter: 0, ingest_job: 0 });
  });

  it('reads its ages from the settings and runs once at start', async () => {
    await seed();
    const config = loadConfig(baseConfigSchema, { NODE_ENV: 'test' });
    const env = { RETENTION_IDEMPOTENCY_HOURS: '1', RETENTION_INBOX_DAYS: '30', RETENTION_DEAD_LETTER_DAYS: '1' };
    const job = startRetention({ config, runtime: clock, logger }, { db, schema: SCHEMA, env });
    await job.stop();
    expect(await left()).toEqual({ idempotency_key: [], inbox: ['fresh', 'old'], dead_letter: [], ingest_job: ['fresh', 'old', 'running'] });
  });

  it('refuses ages that are not whole positive numbers', () => {
    expect(retentionSettingsSchema.safeParse({ RETENTION_INBOX_DAYS: '0' }).success).toBe(false);
    expect(retentionSettingsSchema.safeParse({ RETENTION_IDEMPOTENCY_HOURS: '1.5' }).success).toBe(false);
  });

  it('deletes in batches when there is much to purge', async () => {
    await sql`insert into retention_svc.inbox (consumer_group, event_id, handled_at)
      select 'g', 'e' || n, ${ago(10 * DAY)}::timestamptz from generate_series(1, 25000) n`.execute(root);
    const options = { db, schema: SCHEMA, rules: platformRetentionRules(defaults), runtime: clock, logger };
    expect((await purgeExpired(options)).inbox).toBe(25_000);
    expect(await db.selectFrom('inbox').select(db.fn.countAll().as('n')).executeTakeFirst()).toEqual({ n: '0' });
  });
});
