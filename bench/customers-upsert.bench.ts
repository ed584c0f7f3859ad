/**
 * pnpm bench:customers — upserts N generated customers through the gateway in batches of 1,000 and,
 * in the same run, loads the same rows with `psql \copy` into a scratch table with the same indexes.
 * Prints rows/s of both and the ratio (goal ≥ 0.5). Not a test: it measures, it does not assert.
 *
 * Needs a real PostgreSQL (DATABASE_URL, default the local server); creates and drops its own database.
 * The gateway and the customers service run as two processes, as in production (distributed mode).
 * BENCH_ROWS (default 200000), BENCH_BATCH (1000), BENCH_CONCURRENCY (requests in flight, 4).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually, freePort } from '@crm/testkit';
import pg from 'pg';

const ROWS = Number(process.env.BENCH_ROWS ?? 200_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const SERVER = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ADMIN_KEY = process.env.CRM_ADMIN_API_KEY ?? 'crm-dev-admin-key';

/** Seeded generator (mulberry32): the same rows every run. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const GIVEN = ['Wei', 'Fang', 'Na', 'Min', 'Jing', 'Lei', 'Qiang', 'Yan', 'Jun', 'Hui', 'Anna', 'Peter', 'Maria', 'John'];
const FAMILY = ['Wang', 'Li', 'Zhang', 'Liu', 'Chen', 'Yang', 'Huang', 'Zhao', 'Wu', 'Zhou', 'Schmidt', 'Smith'];
const CITIES = ['Shanghai', 'Beijing', 'Guangzhou', 'Shenzhen', 'Chengdu', 'Hangzhou', 'Wuhan', 'Nanjing'];

function generate(count: number) {
  const next = random(42);
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)] as T;
  return Array.from({ length: count }, (_, i) => {
    const givenName = pick(GIVEN);
    const familyName = pick(FAMILY);
    const year = 1950 + Math.floor(next() * 55);
    const month = String(1 + Math.floor(next() * 12)).padStart(2, '0');
    const day = String(1 + Math.floor(next() * 28)).padStart(2, '0');
    return {
      externalId: { system: 'erp', id: `C${String(i).padStart(8, '0')}` },
      customer: {
        kind: 'person' as const,
        givenName,
        familyName,
        birthDate: `${year}-${month}-${day}`,
        lifecycleStage: pick(['prospect', 'new', 'active', 'loyal'] as const),
        roles: ['customer' as const],
        emails: [`${givenName}.${familyName}.${i}@example.com`.toLowerCase()],
        phones: [`+86138${String(i).padStart(8, '0')}`],
        addresses: [{ kind: 'home' as const, line1: `${1 + (i % 999)} Nanjing Road`, city: pick(CITIES), country: 'CN' }],
      },
    };
  });
}

async function main() {
  const admin = new pg.Client({ connectionString: SERVER });
  await admin.connect();
  const database = `crm_bench_${Date.now()}`;
  await admin.query(`create database ${database}`);
  const url = new URL(SERVER);
  url.pathname = `/${database}`;
  const [port, customersPort] = [await freePort(), await freePort()];
  const env = {
    ...process.env,
    DATABASE_URL: url.toString(),
    LOG_LEVEL: 'warn',
    PORT: String(port),
    CUSTOMERS_PORT: String(customersPort),
    CUSTOMERS_URL: `http://127.0.0.1:${customersPort}`,
  };
  const processes: ChildProcess[] = [];
  const items = generate(ROWS);
  try {
    for (const service of ['customers', 'gateway']) {
      processes.push(spawn(process.execPath, ['node_modules/tsx/dist/cli.mjs', `services/${service}/src/main.ts`], { env, stdio: ['ignore', 'ignore', 'inherit'] }));
    }
    const gateway = `http://127.0.0.1:${port}`;
    await eventually('gateway and customers to be ready', async () => {
      const [a, b] = await Promise.all([fetch(`${gateway}/health/ready`), fetch(`http://127.0.0.1:${customersPort}/health/ready`)].map((p) => p.catch(() => undefined)));
      return a?.ok && b?.ok ? true : undefined;
    }, 60_000);

    // Through the gateway: HTTP, auth, proxy, validation, the set-based upsert, outbox and timeline rows.
    // Bodies are serialised before the clock starts: the figure is the server side's.
    const batches = Array.from({ length: Math.ceil(ROWS / BATCH) }, (_, b) => JSON.stringify({ items: items.slice(b * BATCH, (b + 1) * BATCH) }));
    let nextBatch = 0;
    const apiStart = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (nextBatch < batches.length) {
          const batch = batches[nextBatch++]!;
          const response = await fetch(`${gateway}/v1/customers/batch`, {
            method: 'POST',
            headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
            body: batch,
          });
          const body = (await response.json()) as { summary?: { created: number; errors: number } };
          if (!response.ok || body.summary?.errors) throw new Error(`batch failed: ${response.status} ${JSON.stringify(body).slice(0, 500)}`);
        }
      }),
    );
    const apiSeconds = Number(process.hrtime.bigint() - apiStart) / 1e9;

    // Baseline: the same rows, as final table rows, with psql \copy into a table with the same indexes.
    const dir = mkdtempSync(path.join(tmpdir(), 'crm-bench-'));
    const csv = path.join(dir, 'customers.csv');
    const quote = (value: string) => `"${value.replaceAll('"', '""')}"`;
    const pgArray = (values: string[]) => `{${values.map((v) => `"${v}"`).join(',')}}`;
    const now = new Date().toISOString();
    writeFileSync(
      csv,
      items
        .map((item, i) => {
          const c = item.customer;
          return [
            `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, 'person', 'active', quote(`${c.givenName} ${c.familyName}`), c.givenName, c.familyName, '',
            c.birthDate, c.lifecycleStage, pgArray(c.roles), '', pgArray(c.emails), pgArray(c.phones), quote(JSON.stringify(c.addresses)), '{}', '{}', '', 1, now, now, '',
          ].join(',');
        })
        .join('\n'),
    );
    await admin.end();
    const psql = (sql: string) => execFileSync('psql', [url.toString(), '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql], { stdio: 'pipe' });
    psql('create table public.copy_baseline (like customers.customer including all)');
    const copyStart = process.hrtime.bigint();
    psql(`\\copy public.copy_baseline from '${csv}' with (format csv)`);
    const copySeconds = Number(process.hrtime.bigint() - copyStart) / 1e9;

    const apiRate = ROWS / apiSeconds;
    const copyRate = ROWS / copySeconds;
    console.log(`rows: ${ROWS}, batch: ${BATCH}, concurrency: ${CONCURRENCY}`);
    console.log(`gateway batch upsert: ${apiRate.toFixed(0)} rows/s (${apiSeconds.toFixed(1)} s)`);
    console.log(`psql \\copy baseline:  ${copyRate.toFixed(0)} rows/s (${copySeconds.toFixed(1)} s)`);
    console.log(`ratio (upsert / copy): ${(apiRate / copyRate).toFixed(2)}  (goal >= 0.5)`);
  } finally {
    for (const child of processes) child.kill('SIGTERM');
    await Promise.all(processes.map((child) => new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null)))));
    const cleanup = new pg.Client({ connectionString: SERVER });
    await cleanup.connect();
    await cleanup.query(`drop database if exists ${database} with (force)`);
    await cleanup.end();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
