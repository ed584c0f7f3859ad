import { createTestDatabase, eventually, type TestDatabase } from '@crm/testkit';
import { sql, type Kysely } from 'kysely';
import { createApp, type App } from '../src/app';
import { APP_LIMIT_DEFAULTS, type AppLimits } from '../src/app-limits';
import { allowLongStatements, openDatabase, poolGaugeOf, withoutStatementTimeout, type DatabaseTarget } from '../src/database';
import { createLogger } from '../src/logger';

/**
 * Load shedding and database timeouts on the real PostgreSQL: each condition answers 503
 * problem+json with Retry-After instead of queueing everyone or a 500, and the service recovers.
 */
let database: TestDatabase;
const opened: Array<{ app: App; db: Kysely<unknown> }> = [];

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  for (const { app, db } of opened) {
    await app.close();
    await db.destroy();
  }
  await database?.drop();
});

/** A service with one route doing `work` on its own pool, the limits given on top of the defaults. */
async function serviceWith(pool: Partial<Omit<Extract<DatabaseTarget, { kind: 'postgres' }>, 'kind' | 'url'>>, limits: Partial<AppLimits> = {}) {
  const db = openDatabase({ kind: 'postgres', url: database.url, ...pool });
  const app = await createApp({
    name: 'overload-test',
    logger: createLogger({ name: 'overload-test', level: 'silent' }),
    limits: { ...APP_LIMIT_DEFAULTS, pool: poolGaugeOf(db), ...limits },
  });
  app.get('/v1/ping', { config: { public: true } }, async () => {
    const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db);
    return { one: rows[0]?.one };
  });
  app.get('/v1/sleep', { config: { public: true } }, async () => {
    await sql`select pg_sleep(3)`.execute(db);
    return { slept: true };
  });
  app.get('/v1/idle-in-transaction', { config: { public: true } }, async () =>
    db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
      backendPids.push(rows[0]?.pid ?? 0);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await sql`select 1`.execute(trx);
      return { finished: true };
    }),
  );
  opened.push({ app, db });
  return { app, db };
}
const backendPids: number[] = [];

/** Holds the pool's only connection until `release` is called. */
function holdConnection(db: Kysely<unknown>): { release: () => void; held: Promise<void> } {
  let release = () => undefined as void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let markHeld = () => undefined as void;
  const held = new Promise<void>((resolve) => (markHeld = resolve));
  void db.connection().execute(async (connection) => {
    await sql`select 1`.execute(connection);
    markHeld();
    await released;
  });
  return { release, held };
}

function expectOverloaded(response: { statusCode: number; headers: Record<string, unknown>; json: () => unknown }, type: string, retryAfter = '5'): void {
  expect({ status: response.statusCode, contentType: response.headers['content-type'], retryAfter: response.headers['retry-after'] }).toEqual({
    status: 503,
    contentType: 'application/problem+json; charset=utf-8',
    retryAfter,
  });
  expect(response.json()).toMatchObject({ type: `urn:crm:problem:${type}`, status: 503 });
}

describe('load shedding', () => {
  it('answers 503 overloaded while more queries wait for a connection than MAX_DB_POOL_QUEUE, but never on probes and metrics', async () => {
    const { app, db } = await serviceWith({ poolSize: 1, acquireTimeoutMs: 20_000 }, { maxDbPoolQueue: 2, retryAfterSeconds: 7 });
    const hold = holdConnection(db);
    await hold.held;
    const queued = [1, 2, 3].map(() => sql`select 1`.execute(db));
    expect(poolGaugeOf(db).waiting()).toBe(3);

    expectOverloaded(await app.inject({ method: 'GET', url: '/v1/ping' }), 'overloaded', '7');
    expect((await app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);

    hold.release();
    await Promise.all(queued);
    expect(poolGaugeOf(db).waiting()).toBe(0);
    const recovered = await app.inject({ method: 'GET', url: '/v1/ping' });
    expect({ status: recovered.statusCode, body: recovered.json() }).toEqual({ status: 200, body: { one: 1 } });
  });

  it('answers 503 overloaded while the event loop lags over MAX_EVENT_LOOP_DELAY_MS, and serves again once it recovers', async () => {
    const { app } = await serviceWith({}, { maxEventLoopDelayMs: 20 });
    // Keep the loop blocked in 60 ms slices for a bit over one sampling interval (1 s).
    const until = Date.now() + 1300;
    while (Date.now() < until) {
      const slice = Date.now() + 60;
      while (Date.now() < slice) {
        /* busy */
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    const shed = await eventually('the lag to be sampled', async () => {
      const response = await app.inject({ method: 'GET', url: '/v1/ping' });
      return response.statusCode === 503 ? response : undefined;
    }, 3000);
    expectOverloaded(shed, 'overloaded');
    expect(shed.json<{ detail: string }>().detail).toMatch(/event loop lags/);
    expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
    await eventually('the service to serve again', async () => ((await app.inject({ method: 'GET', url: '/v1/ping' })).statusCode === 200 ? true : undefined), 5000);
  });
});

describe('pool and statement timeouts', () => {
  it('answers 503 overloaded when no connection becomes free within DB_ACQUIRE_TIMEOUT_MS', async () => {
    const { app, db } = await serviceWith({ poolSize: 1, acquireTimeoutMs: 300 });
    const hold = holdConnection(db);
    await hold.held;
    const started = Date.now();
    const response = await app.inject({ method: 'GET', url: '/v1/ping' });
    expectOverloaded(response, 'overloaded');
    expect(response.json<{ detail: string }>().detail).toMatch(/no database connection/);
    expect(Date.now() - started).toBeLessThan(3000);
    hold.release();
    expect((await app.inject({ method: 'GET', url: '/v1/ping' })).statusCode).toBe(200);
  });

  it('answers 503 database-timeout when a statement runs past DB_STATEMENT_TIMEOUT_MS (cancelled by the server)', async () => {
    const { app } = await serviceWith({ statementTimeoutMs: 200 });
    const started = Date.now();
    expectOverloaded(await app.inject({ method: 'GET', url: '/v1/sleep' }), 'database-timeout');
    expect(Date.now() - started).toBeLessThan(2500);
    expect((await app.inject({ method: 'GET', url: '/v1/ping' })).statusCode).toBe(200);
  });

  it('lets a whole-base job lift the statement timeout for its own transaction or connection only', async () => {
    const { db } = await serviceWith({ statementTimeoutMs: 200, poolSize: 1 });
    await db.transaction().execute(async (trx) => {
      await allowLongStatements(trx);
      await sql`select pg_sleep(0.5)`.execute(trx);
    });
    await expect(sql`select pg_sleep(0.5)`.execute(db)).rejects.toMatchObject({ code: '57014' });
    // Outside a transaction (VACUUM) on one connection, the session's own timeout back afterwards.
    await withoutStatementTimeout(db, (connection) => sql`select pg_sleep(0.5)`.execute(connection));
    await expect(sql`select pg_sleep(0.5)`.execute(db)).rejects.toMatchObject({ code: '57014' });
  });

  it('has the server end a session left idle in a transaction past DB_IDLE_IN_TRANSACTION_TIMEOUT_MS; the process and the pool carry on', async () => {
    const { app, db } = await serviceWith({ idleInTransactionTimeoutMs: 300, poolSize: 1 });
    const response = await app.inject({ method: 'GET', url: '/v1/idle-in-transaction' });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.json()).toMatchObject({ type: expect.stringMatching(/^urn:crm:problem:(database-timeout|unavailable)$/), status: 503 });
    const killed = backendPids.at(-1);
    const { rows } = await sql<{ alive: boolean }>`select exists (select 1 from pg_stat_activity where pid = ${killed}) as alive`.execute(db);
    expect(rows[0]?.alive).toBe(false);
    expect((await app.inject({ method: 'GET', url: '/v1/ping' })).statusCode).toBe(200);
  });
});
