import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { customersService } from '@crm/customers';
import { gatewayService } from '@crm/gateway';
import { scoringService } from '@crm/scoring';
import { baseConfigSchema, ConfigError, createLogger, loadConfig, runServices } from '@crm/platform';
import { createTestDatabase, freePort, type TestDatabase } from '@crm/testkit';

/** §6 safe defaults: loopback unless told otherwise, and never reachable from elsewhere with the published development secrets. */
let database: TestDatabase;
const logger = createLogger({ name: 'safe-defaults-test', level: 'silent' });
const PRIVATE_SECRET = 'a-private-internal-secret-0123456789abcdef';

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1000 });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.once('connect', () => done(true)).once('error', () => done(false)).once('timeout', () => done(false));
  });
}

async function ports() {
  const [gateway, customers, scoring] = [await freePort(), await freePort(), await freePort()];
  return { PORT: String(gateway), CUSTOMERS_PORT: String(customers), SCORING_PORT: String(scoring) };
}

describe('runServices with development secrets', () => {
  it('refuses HOST=0.0.0.0 before opening anything, naming every development secret in use', async () => {
    const env = await ports();
    const config = loadConfig(baseConfigSchema, { NODE_ENV: 'test', HOST: '0.0.0.0', DATABASE_URL: database.url });
    const start = runServices([customersService, scoringService, gatewayService], { config, logger, env });
    await expect(start).rejects.toThrow(ConfigError);
    await expect(start).rejects.toThrow(/HOST=0\.0\.0\.0.*CRM_INTERNAL_SECRET, CRM_JWT_SECRET, CRM_ADMIN_API_KEY/);
    expect(await accepts('127.0.0.1', Number(env.PORT))).toBe(false);
    expect(await accepts('127.0.0.1', Number(env.CUSTOMERS_PORT))).toBe(false);
  });

  it("refuses a public bind while only the gateway's secrets are the development ones", async () => {
    const config = loadConfig(baseConfigSchema, { NODE_ENV: 'test', HOST: '10.1.2.3', DATABASE_URL: database.url, CRM_INTERNAL_SECRET: PRIVATE_SECRET });
    await expect(runServices([gatewayService], { config, logger, env: await ports() })).rejects.toThrow(
      /HOST=10\.1\.2\.3 with development secrets \(CRM_JWT_SECRET, CRM_ADMIN_API_KEY\)/,
    );
  });

  it('listens on loopback by default', async () => {
    const env = await ports();
    const config = loadConfig(baseConfigSchema, { NODE_ENV: 'test', DATABASE_URL: database.url });
    expect(config.HOST).toBe('127.0.0.1');
    const suite = await runServices([customersService], { config, logger, env });
    try {
      const external = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
      expect(await accepts('127.0.0.1', suite.ports.customers ?? 0)).toBe(true);
      if (external) expect(await accepts(external.address, suite.ports.customers ?? 0)).toBe(false);
    } finally {
      await suite.close();
    }
  });
});

describe('runServices with private secrets', () => {
  it('listens on every interface when HOST=0.0.0.0 (containers)', async () => {
    const env = await ports();
    const config = loadConfig(baseConfigSchema, { NODE_ENV: 'test', HOST: '0.0.0.0', DATABASE_URL: database.url, CRM_INTERNAL_SECRET: PRIVATE_SECRET });
    const suite = await runServices([customersService], { config, logger, env });
    try {
      const response = await fetch(`http://127.0.0.1:${suite.ports.customers}/health/live`);
      expect(response.status).toBe(200);
    } finally {
      await suite.close();
    }
  });
});

describe('a service process started with development secrets on a public HOST', () => {
  const repoRoot = path.resolve(__dirname, '../../..');

  /** Runs a service's main.ts as `pnpm --filter … start` does; resolves with its exit code and stderr. */
  function runMain(main: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve) => {
      const childEnv: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: database.url, ...env };
      delete childEnv.KAFKA_BROKERS;
      const child = spawn(process.execPath, [path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs'), main], { cwd: repoRoot, env: childEnv, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('exit', (code) => resolve({ code, stderr }));
    });
  }

  it('exits 1 with a plain message naming the secrets, before listening', async () => {
    const port = await freePort();
    const gateway = await runMain('services/gateway/src/main.ts', { HOST: '0.0.0.0', PORT: String(port), CRM_INTERNAL_SECRET: PRIVATE_SECRET });
    expect(gateway.code).toBe(1);
    expect(gateway.stderr).toContain('gateway: refusing to listen on HOST=0.0.0.0 with development secrets (CRM_JWT_SECRET, CRM_ADMIN_API_KEY)');
    expect(await accepts('127.0.0.1', port)).toBe(false);
  });
});
