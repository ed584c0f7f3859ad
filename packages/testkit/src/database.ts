import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { requireTestEnv } from './environment';

export interface TestDatabase {
  /** Connection URL of a database created for this test file alone. */
  url: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function onServer<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: requireTestEnv('databaseUrl') });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database on the real test server: every test file starts from nothing. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `crm_test_${randomBytes(6).toString('hex')}`;
  await onServer((client) => client.query(`create database ${name} template template0`));
  const url = withDatabase(requireTestEnv('databaseUrl'), name);
  return {
    url,
    drop: () => onServer((client) => client.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}
