import { createInProcessBus, createLogger, loadConfig, openDatabase, systemRuntime, type MessageBus, type Runtime } from '@crm/platform';
import { createTestDatabase, type TestDatabase } from '@crm/testkit';
import type { InjectOptions, LightMyRequestResponse as Response } from 'fastify';
import type { Kysely } from 'kysely';
import { buildGateway, type Gateway } from '../src/app';
import { gatewayConfigSchema } from '../src/config';
import type { DocumentLoader } from '../src/openapi/upstream-documents.service';

export const INTERNAL_SECRET = 'gateway-test-internal-secret-0123456789abcdef';
export const ADMIN_KEY = 'crm-dev-admin-key';
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
export const asAdmin = bearer(ADMIN_KEY);

/** The runtime's clock, movable by tests (tokens expiring, caches going stale). */
export interface TestClock extends Runtime {
  advance(ms: number): void;
}

export function testClock(): TestClock {
  let offsetMs = 0;
  return {
    now: () => new Date(Date.now() + offsetMs),
    newId: () => systemRuntime.newId(),
    advance: (ms) => void (offsetMs += ms),
  };
}

export interface GatewayHarness {
  gateway: Gateway;
  db: Kysely<unknown>;
  clock: TestClock;
  inject(options: InjectOptions): Promise<Response>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  /** Another harness's database: a second replica of the same gateway. */
  shareDatabaseOf?: GatewayHarness;
  loadUpstreamDocument?: DocumentLoader;
}

/** The gateway on a fresh database of the real PostgreSQL, with a real in-process bus. */
export async function startGateway(options: HarnessOptions = {}): Promise<GatewayHarness> {
  const database: TestDatabase | undefined = options.shareDatabaseOf ? undefined : await createTestDatabase();
  const db = options.shareDatabaseOf?.db ?? openDatabase({ kind: 'postgres', url: (database as TestDatabase).url, poolSize: 5 });
  const bus: MessageBus = createInProcessBus();
  const clock = testClock();
  const config = loadConfig(gatewayConfigSchema, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    CRM_INTERNAL_SECRET: INTERNAL_SECRET,
    ...(database ? { DATABASE_URL: database.url } : {}),
    ...options.env,
  });
  const gateway = await buildGateway({
    db,
    bus,
    logger: createLogger({ name: 'gateway-test', level: 'silent' }),
    runtime: clock,
    config,
    ...(options.loadUpstreamDocument ? { loadUpstreamDocument: options.loadUpstreamDocument } : {}),
  });
  return {
    gateway,
    db,
    clock,
    inject: (injectOptions) => gateway.app.inject(injectOptions),
    async close() {
      await gateway.app.close();
      await gateway.stop();
      await bus.close();
      if (database) {
        await db.destroy();
        await database.drop();
      }
    },
  };
}

/** A port nothing listens on (bound, then released). */
export async function deadPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

export const expectProblem = (response: Response, status: number, type: string) => {
  expect({ status: response.statusCode, contentType: response.headers['content-type'] }).toEqual({
    status,
    contentType: 'application/problem+json; charset=utf-8',
  });
  const body = response.json<{ type: string; status: number; title: string }>();
  expect(body).toMatchObject({ type, status });
  return body as Record<string, unknown>;
};
