/**
 * pnpm bench:customers — upserts N generated customers through the gateway in batches of 1,000 and,
 * in the same run, loads the same rows with `psql \copy` into a scratch table with the same indexes.
 * Prints rows/s of both and the ratio (goal ≥ 0.5). Not a test: it measures, it does not assert.
 *
 * Needs a real PostgreSQL (DATABASE_URL, default the local server); creates and drops its own database.
 * The gateway and the customers service run as two processes, as in production (distributed mode).
 * BENCH_ROWS (default 200000), BENCH_BATCH (1000), BENCH_CONCURRENCY (requests in flight, 4).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, seededRandom } from '@crm/testkit';
import { ADMIN, secondsSince, startServices, withScratchDatabase, runBenchmark } from './support';

const ROWS = Number(process.env.BENCH_ROWS ?? 200_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);

const GIVEN = ['Wei', 'Fang', 'Na', 'Min', 'Jing', 'Lei', 'Qiang', 'Yan', 'Jun', 'Hui', 'Anna', 'Peter', 'Maria', 'John'];
const FAMILY = ['Wang', 'Li', 'Zhang', 'Liu', 'Chen', 'Yang', 'Huang', 'Zhao', 'Wu', 'Zhou', 'Schmidt', 'Smith'];
const CITIES = ['Shanghai', 'Beijing', 'Guangzhou', 'Shenzhen', 'Chengdu', 'Hangzhou', 'Wuhan', 'Nanjing'];

function generate(count: number) {
  const next = seededRandom(42);
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
  await withScratchDatabase('crm_bench', async (url) => {
    const [port, customersPort] = [await freePort(), await freePort()];
    const env = { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn', PORT: String(port), CUSTOMERS_PORT: String(customersPort), CUSTOMERS_URL: `http://127.0.0.1:${customersPort}` };
    const gateway = `http://127.0.0.1:${port}`;
    const services = await startServices(['customers', 'gateway'], env, [`http://127.0.0.1:${customersPort}`, gateway]);
    try {
      const items = generate(ROWS);
      // Through the gateway: HTTP, auth, proxy, validation, the set-based upsert, outbox and timeline rows.
      // Bodies are serialised before the clock starts: the figure is the server side's.
      const batches = Array.from({ length: Math.ceil(ROWS / BATCH) }, (_, b) => JSON.stringify({ items: items.slice(b * BATCH, (b + 1) * BATCH) }));
      let nextBatch = 0;
      const apiStart = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (nextBatch < batches.length) {
            const batch = batches[nextBatch++]!;
            const response = await fetch(`${gateway}/v1/customers/batch`, { method: 'POST', headers: { ...ADMIN, 'content-type': 'application/json' }, body: batch });
            const body = (await response.json()) as { summary?: { created: number; errors: number } };
            if (!response.ok || body.summary?.errors) throw new Error(`batch failed: ${response.status} ${JSON.stringify(body).slice(0, 500)}`);
          }
        }),
      );
      const apiSeconds = secondsSince(apiStart);

      // Baseline: the same rows, as final table rows, with psql \copy into a table with the same indexes.
      const csv = path.join(mkdtempSync(path.join(tmpdir(), 'crm-bench-')), 'customers.csv');
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
      const psql = (statement: string) => execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-q', '-c', statement], { stdio: 'pipe' });
      psql('create table public.copy_baseline (like customers.customer including all)');
      const copyStart = process.hrtime.bigint();
      psql(`\\copy public.copy_baseline from '${csv}' with (format csv)`);
      const copySeconds = secondsSince(copyStart);

      const apiRate = ROWS / apiSeconds;
      const copyRate = ROWS / copySeconds;
      console.log(`rows: ${ROWS}, batch: ${BATCH}, concurrency: ${CONCURRENCY}`);
      console.log(`gateway batch upsert: ${apiRate.toFixed(0)} rows/s (${apiSeconds.toFixed(1)} s)`);
      console.log(`psql \\copy baseline:  ${copyRate.toFixed(0)} rows/s (${copySeconds.toFixed(1)} s)`);
      console.log(`ratio (upsert / copy): ${(apiRate / copyRate).toFixed(2)}  (goal >= 0.5)`);
    } finally {
      await services.stop();
    }
  });
}

runBenchmark(main);
