import { customersMigrations } from '@crm/customers';
import { gatewayMigrations } from '@crm/gateway';
import { migrateDown, migrateToLatest, openDatabase, type ServiceMigrations } from '@crm/platform';
import { scoringMigrations } from '@crm/scoring';
import { createTestDatabase, type TestDatabase } from '@crm/testkit';
import { sql, type Kysely } from 'kysely';

let database: TestDatabase;
let db: Kysely<unknown>;
beforeAll(async () => {
  database = await createTestDatabase();
  db = openDatabase({ kind: 'postgres', url: database.url, poolSize: 2 });
});
afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

const tablesOf = async (schema: string) =>
  (await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = ${schema} and table_name not like 'kysely_%'`.execute(db)).rows.length;

describe.each([customersMigrations, scoringMigrations, gatewayMigrations].map((m): [string, ServiceMigrations] => [m.schema, m]))('%s migrations', (schema, migrations) => {
  it('go up, all the way down and up again', async () => {
    const names = Object.keys(migrations.migrations);
    expect(await migrateToLatest(db, migrations)).toEqual(names);
    expect(await tablesOf(schema)).toBeGreaterThan(4);
    expect(await migrateToLatest(db, migrations)).toEqual([]);
    for (const _ of names) await migrateDown(db, migrations);
    expect(await tablesOf(schema)).toBe(0);
    expect(await migrateToLatest(db, migrations)).toEqual(names);
  });
});
