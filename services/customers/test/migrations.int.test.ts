import { migrateDown, migrateToLatest, openDatabase } from '@crm/platform';
import { createTestDatabase, type TestDatabase } from '@crm/testkit';
import { sql, type Kysely } from 'kysely';
import { customersMigrations } from '../src/db/migrations';

let database: TestDatabase;
let db: Kysely<unknown>;
beforeAll(async () => {
  database = await createTestDatabase();
  db = openDatabase({ kind: 'postgres', url: database.url, poolSize: 2 });
});
afterAll(async () => {
  await db.destroy();
  await database.drop();
});

const tables = async () =>
  (await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'customers' and table_name not like 'kysely_%' order by 1`.execute(db)).rows.map((r) => r.table_name);

it('migrates up, all the way down and up again', async () => {
  const names = Object.keys(customersMigrations.migrations);
  expect(await migrateToLatest(db, customersMigrations)).toEqual(names);
  expect(await tables()).toEqual(['attribute_definition', 'consent', 'contact', 'customer', 'dead_letter', 'dealer', 'external_id', 'idempotency_key', 'inbox', 'outbox', 'timeline_entry']);
  expect(await migrateToLatest(db, customersMigrations)).toEqual([]);
  for (const _ of names) await migrateDown(db, customersMigrations);
  expect(await tables()).toEqual([]);
  expect(await migrateToLatest(db, customersMigrations)).toEqual(names);
});
