import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { CustomerEvents } from '@crm/domain';
import { cloudEventOf, createKafkaBus, createLogger, openDatabase, signPrincipal, systemRuntime } from '@crm/platform';
import { createTestDatabase, eventually, freePort, testKafkaBrokers, uniqueTopicPrefix, type TestDatabase } from '@crm/testkit';
import { sql, type Kysely } from 'kysely';
import { batchJob, SECRET, snapshot } from './harness';

/**
 * The scoring service as its own process, killed with SIGKILL in the middle of an NDJSON ingest and
 * started again: the job must say `interrupted` with exactly what was committed, and the customers it
 * touched must get their scores, with nobody left to clean up after the dead process.
 */
const repoRoot = path.resolve(__dirname, '../../..');
const CUSTOMERS = 40;

let database: TestDatabase;
let db: Kysely<unknown>;
const topicPrefix = uniqueTopicPrefix();
const customers = Array.from({ length: CUSTOMERS }, () => randomUUID());

beforeAll(async () => {
  database = await createTestDatabase();
  db = openDatabase({ kind: 'postgres', url: database.url, poolSize: 2 });
});
afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

interface Running {
  child: ChildProcess;
  url: string;
  output: () => string;
}

async function startScoringProcess(): Promise<Running> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: database.url,
    KAFKA_BROKERS: testKafkaBrokers().join(','),
    KAFKA_TOPIC_PREFIX: topicPrefix,
    CRM_INTERNAL_SECRET: SECRET,
    SCORING_PORT: String(port),
    // Short, so the test need not wait 90 s for the dead process's job to count as abandoned.
    SCORING_HEARTBEAT_SECONDS: '0.5',
    SCORING_INTERRUPTED_AFTER_SECONDS: '3',
  };
  // tsx as a loader, not its CLI: the CLI runs the service in a child process, which SIGKILL would miss.
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/scoring/src/main.ts'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    'the scoring process to become ready',
    async () => {
      if (child.exitCode !== null) throw new Error(`scoring exited with ${child.exitCode}:\n${output}`);
      const ready = await fetch(`${url}/health/ready`).catch(() => undefined);
      return ready?.ok ? true : undefined;
    },
    60_000,
  );
  return { child, url, output: () => output };
}

const line = (n: number) =>
  `${JSON.stringify({
    sourceSystem: 'erp',
    externalId: `KILL-${n}`,
    customer: { id: customers[n % CUSTOMERS] },
    occurredAt: new Date(Date.now() - (1 + (n % 300)) * 86_400_000).toISOString(),
    type: 'sale',
    amount: { amount: `${10 + (n % 90)}.00`, currency: 'CNY' },
    quantity: 1,
  })}\n`;

const count = async (query: ReturnType<typeof sql<{ n: number }>>) => (await query.execute(db)).rows[0]?.n ?? 0;

it('marks an NDJSON ingest killed mid-stream interrupted with exactly the committed counts, and rescores the customers it touched', async () => {
  const first = await startScoringProcess();
  // The customers, as the customers service would announce them.
  const bus = createKafkaBus({ brokers: testKafkaBrokers(), clientId: 'interrupted-test', topicPrefix, logger: createLogger({ name: 'test', level: 'silent' }) });
  try {
    const events = customers.map((id) => cloudEventOf('/crm/customers', systemRuntime, CustomerEvents.created, { customer: snapshot(id) }));
    await bus.publish(CustomerEvents.created.topic, events.map((event) => ({ key: event.subject, value: JSON.stringify(event) })));
  } finally {
    await bus.close();
  }
  await eventually('the customers in the projection', async () => ((await count(sql`select count(*)::int as n from scoring.customer`)) === CUSTOMERS ? true : undefined), 30_000);

  // An endless stream, written as fast as the service reads it; the process dies while chunks are being written.
  const request = http.request(`${first.url}/v1/transactions/batch`, {
    method: 'POST',
    headers: { ...signPrincipal(batchJob, SECRET, { method: 'POST', url: '/v1/transactions/batch' }), 'content-type': 'application/x-ndjson', 'transfer-encoding': 'chunked' },
  });
  request.on('error', () => undefined);
  request.on('response', (response) => response.on('error', () => undefined).resume());
  const closed = new Promise<void>((resolve) => request.once('close', resolve));
  let sent = 0;
  let streaming = true;
  const writer = (async () => {
    while (streaming && !request.destroyed) {
      const lines = Array.from({ length: 500 }, () => line(sent++)).join('');
      if (!request.write(lines)) await Promise.race([once(request, 'drain').catch(() => undefined), closed]);
    }
  })();
  try {
    await eventually('a few chunks committed', async () => ((await count(sql`select coalesce(sum(inserted), 0)::int as n from scoring.ingest_job`)) >= 15_000 ? true : undefined), 60_000);
    // Not between chunks on purpose: whatever is in flight when the process dies must either count or not exist.
    await sleep(Math.floor(Math.random() * 300));
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
  } finally {
    streaming = false;
    request.destroy();
    await writer;
  }
  const [job] = (await sql<{ id: string; status: string; received: number; inserted: number; pending: number; duplicates: number; rejected: number }>`select id, status, received, inserted, pending, duplicates, rejected from scoring.ingest_job`.execute(db)).rows;
  expect(job?.status).toBe('running'); // nobody told the database: the process died

  const second = await startScoringProcess();
  try {
    const interrupted = await eventually(
      'the job marked interrupted',
      async () => {
        const path = `/v1/ingest-jobs/${job?.id}`;
        const response = await fetch(`${second.url}${path}`, { headers: signPrincipal(batchJob, SECRET, { method: 'GET', url: path }) });
        const body = (await response.json()) as { status: string; error: string | null; received: number; inserted: number; pending: number; duplicates: number; rejected: number; finishedAt: string | null };
        return body.status === 'running' ? undefined : body;
      },
      30_000,
    );
    const written = await count(sql`select count(*)::int as n from scoring.transaction where source_system = 'erp'`);
    expect(written).toBeGreaterThanOrEqual(15_000);
    expect(interrupted).toEqual(
      expect.objectContaining({ status: 'interrupted', received: written, inserted: written, pending: 0, duplicates: 0, rejected: 0, finishedAt: expect.any(String) }),
    );
    expect(interrupted.error).toMatch(new RegExp(`^interrupted: its process stopped before the end of the stream .*committed: the ${written} lines the counters show \\(${written} inserted`));

    // Every customer the ingest touched gets its scores from the durable queue, without another ingest or run.
    await eventually(
      'the touched customers rescored',
      async () => {
        const queued = await count(sql`select count(*)::int as n from scoring.rescore_queue`);
        const stale = await count(sql`
          select count(*)::int as n from (select customer_id, count(*) as orders from scoring.transaction group by customer_id) t
          left join scoring.customer_score s using (customer_id)
          where s.order_count is distinct from t.orders`);
        return queued === 0 && stale === 0 ? true : undefined;
      },
      60_000,
    );
    expect(await count(sql`select count(*)::int as n from scoring.customer_score where order_count > 0`)).toBe(CUSTOMERS);
  } finally {
    second.child.kill('SIGTERM');
    await new Promise((resolve) => second.child.once('exit', resolve));
  }
}, 240_000);
