import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually, freePort } from '@crm/testkit';


/**
 * `pnpm start` as a user runs it: one process, embedded PGlite under DATA_DIR, in-process events,
 * no DATABASE_URL or KAFKA_BROKERS. Proves the API works through the gateway and data survives a restart.
 */
const repoRoot = path.resolve(__dirname, '../../..');
const dataDir = mkdtempSync(path.join(tmpdir(), 'crm-embedded-'));
const ADMIN_KEY = 'crm-dev-admin-key';

interface Running { child: ChildProcess; output: () => string; gateway: string }

async function startSuite(): Promise<Running> {
  const [port, customersPort, scoringPort, salesPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    CUSTOMERS_PORT: String(customersPort),
    CUSTOMERS_URL: `http://127.0.0.1:${customersPort}`,
    SCORING_PORT: String(scoringPort),
    SCORING_URL: `http://127.0.0.1:${scoringPort}`,
    SALES_PORT: String(salesPort),
    SALES_URL: `http://127.0.0.1:${salesPort}`,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
  };
  delete env.DATABASE_URL;
  delete env.KAFKA_BROKERS;
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/suite/src/main.ts'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const gateway = `http://127.0.0.1:${port}`;
  await eventually(
    'the embedded suite to become ready',
    async () => {
      if (child.exitCode !== null) throw new Error(`the suite exited with ${child.exitCode}:\n${output}`);
      const ready = await fetch(`${gateway}/health/ready`).catch(() => undefined);
      return ready?.ok ? true : undefined;
    },
    60_000,
  );
  return { child, output: () => output, gateway };
}

async function stop(running: Running): Promise<number | null> {
  running.child.kill('SIGTERM');
  return new Promise((resolve) => running.child.once('exit', (code) => resolve(code)));
}

const call = (gateway: string, method: string, url: string, body?: unknown) =>
  fetch(`${gateway}${url}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

it('serves the API embedded, prints the admin key, shuts down cleanly and keeps data across a restart', async () => {
  const first = await startSuite();
  try {
    expect(first.output()).toContain(ADMIN_KEY);
    const created = await call(first.gateway, 'PUT', '/v1/customers/by-external-id/erp/E-1', { kind: 'person', givenName: 'Embedded', emails: ['embedded@example.com'] });
    expect(created.status).toBe(201);
    const unauthenticated = await fetch(`${first.gateway}/v1/customers`);
    expect(unauthenticated.status).toBe(401);
    // Sales' bulk paths bind typed arrays, which the embedded driver serialises its own way: a lead goes in.
    const lead = await call(first.gateway, 'POST', '/v1/leads', { channel: 'hotline', name: 'Embedded lead', phone: '+86 139 1234 5678', testDriveRequested: true, budget: { amount: '150000.00', currency: 'CNY' } });
    expect(lead.status).toBe(201);
    const docs = await fetch(`${first.gateway}/openapi.json`);
    expect(Object.keys(((await docs.json()) as { paths: object }).paths)).toContain('/v1/customers/by-external-id/{system}/{externalId}');
  } finally {
    expect(await stop(first)).toBe(0);
  }

  const second = await startSuite();
  try {
    const found = await call(second.gateway, 'GET', '/v1/customers?externalSystem=erp&externalId=E-1');
    const page = (await found.json()) as { items: { emails: string[] }[] };
    expect(page.items.map((c) => c.emails)).toEqual([['embedded@example.com']]);
  } finally {
    await stop(second);
  }
}, 150_000);
