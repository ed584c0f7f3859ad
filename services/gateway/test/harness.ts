import { createInProcessBus, createLogger, loadConfig, openDatabase, systemRuntime, type MessageBus, type Runtime } from '@crm/platform';
import { createTestDatabase, freePort, type TestDatabase } from '@crm/testkit';
import Fastify from 'fastify';
import type { InjectOptions, LightMyRequestResponse as Response } from 'fastify';
import type { Kysely } from 'kysely';
import { buildGateway, type Gateway } from '../src/app';
import { gatewayConfigSchema } from '../src/config';
import type { DocumentLoader } from '../src/api-docs/upstream-documents.service';
import { UPSTREAMS } from '../src/proxy/upstreams';

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
  const empty = await startEmptyUpstream();
  const unnamedUpstreams = Object.fromEntries(UPSTREAMS.filter((u) => !options.env?.[u.urlEnv]).map((u) => [u.urlEnv, empty.url]));
  const database: TestDatabase | undefined = options.shareDatabaseOf ? undefined : await createTestDatabase();
  const db = options.shareDatabaseOf?.db ?? openDatabase({ kind: 'postgres', url: (database as TestDatabase).url, poolSize: 5 });
  const bus: MessageBus = createInProcessBus();
  const clock = testClock();
  const config = loadConfig(gatewayConfigSchema, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    CRM_INTERNAL_SECRET: INTERNAL_SECRET,
    ...(database ? { DATABASE_URL: database.url } : {}),
    ...unnamedUpstreams,
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
      await empty.close();
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
/** A port nothing listens on: an upstream that is down. */
export const deadPort = freePort;

/**
 * Upstreams a test does not name point at a stand-in serving an empty document, so each test
 * sees only the upstreams it is about (and `x-missing-upstreams` only the ones it took down).
 */
async function startEmptyUpstream(): Promise<{ url: string; close(): Promise<void> }> {
  const app = Fastify();
  app.get('/openapi.json', async () => ({ openapi: '3.1.0', info: { title: 'empty', version: '0' }, paths: {} }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return { url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
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
