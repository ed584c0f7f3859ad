/**
 * pnpm bench:sales — captures N generated leads through the gateway's NDJSON bulk path (dedupe against
 * open leads, one customers-service match call per chunk, rating, routing by territory and round-robin,
 * events) and, in the same run, loads the same lead rows with `psql \copy` into a table like sales.lead
 * (same indexes). Prints rows/s of both and the ratio (goal ≥ 0.3). Not a test: it measures, it does not assert.
 *
 * The gateway, the customers and the sales service run as their own processes (distributed mode).
 * BENCH_LEADS (default 100000), BENCH_STREAMS (NDJSON requests in parallel, default 2).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { freePort, seededRandom } from '@crm/testkit';
import { ADMIN, secondsSince, startServices, withScratchDatabase, runBenchmark } from './support';

const LEADS = Number(process.env.BENCH_LEADS ?? 100_000);
const STREAMS = Number(process.env.BENCH_STREAMS ?? 2);

const PROVINCES = ['Shanghai', 'Beijing', 'Guangdong', 'Zhejiang', 'Jiangsu', 'Sichuan', 'Hubei', 'Shandong'];
const MODELS = ['Passat', 'Lavida', 'Tiguan', 'Teramont', 'ID.4', 'Sagitar'];
const TIMEFRAMES = ['within_1_month', '1_3_months', '3_6_months', 'later', 'unknown'];
const CHANNELS = ['hotline', 'web', 'campaign', 'event', 'import'];

function generate(count: number) {
  const next = seededRandom(7);
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)] as T;
  return Array.from({ length: count }, (_, i) => ({
    channel: pick(CHANNELS),
    source: 'bench',
    name: `Lead ${i}`,
    email: `lead.${i}@example.com`,
    phone: `+86139${String(i).padStart(8, '0')}`,
    province: pick(PROVINCES),
    city: 'City',
    productLine: next() < 0.3 ? 'suv' : 'sedan',
    modelOfInterest: pick(MODELS),
    purchaseTimeframe: pick(TIMEFRAMES),
    budget: { amount: `${150_000 + Math.floor(next() * 200_000)}.00`, currency: 'CNY' },
    testDriveRequested: next() < 0.4,
  }));
}

async function main() {
  await withScratchDatabase('crm_bench_leads', async (url) => {
    const [port, customersPort, salesPort] = [await freePort(), await freePort(), await freePort()];
    const customersUrl = `http://127.0.0.1:${customersPort}`;
    const salesUrl = `http://127.0.0.1:${salesPort}`;
    const env = { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn', PORT: String(port), CUSTOMERS_PORT: String(customersPort), CUSTOMERS_URL: customersUrl, SALES_PORT: String(salesPort), SALES_URL: salesUrl };
    const gateway = `http://127.0.0.1:${port}`;
    const services = await startServices(['customers', 'sales', 'gateway'], env, [customersUrl, salesUrl, gateway]);
    const post = async (route: string, body: object) => {
      const response = await fetch(`${gateway}${route}`, { method: 'POST', headers: { ...ADMIN, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (!response.ok) throw new Error(`${route}: ${response.status} ${await response.text()}`);
      return (await response.json()) as { id: string };
    };
    try {
      // The rules a VW-like setup has: hot and warm ratings, a dealer pair per province, an SUV team by round-robin, a fallback queue.
      await post('/v1/lead-rating-rules', { name: 'Hot', position: 1, rating: 'hot', conditions: { purchaseTimeframes: ['within_1_month'], testDriveRequested: true } });
      await post('/v1/lead-rating-rules', { name: 'Warm', position: 2, rating: 'warm', conditions: { minBudget: { amount: '250000', currency: 'CNY' } } });
      const team = await post('/v1/sales-teams', { name: 'SUV desk', productLines: ['suv'], members: Array.from({ length: 20 }, (_, i) => ({ subject: `rep-${i}`, role: 'rep', capacity: 100_000 })) });
      await post('/v1/lead-assignment-rules', { name: 'SUV desk', position: 1, conditions: { productLines: ['suv'], ratings: ['warm', 'cold'] }, target: 'team', teamId: team.id, slaBusinessHours: 8 });
      for (const [i, province] of PROVINCES.entries()) {
        await post('/v1/lead-assignment-rules', { name: province, position: 10 + i, conditions: { provinces: [province] }, target: 'dealers', dealerIds: [randomUUID(), randomUUID()], slaBusinessHours: 4, reassignOnBreach: true });
      }
      await post('/v1/lead-assignment-rules', { name: 'Queue', position: 100, conditions: {}, target: 'queue' });

      const leads = generate(LEADS);
      // Bodies are serialised before the clock starts: the figure is the server side's.
      const per = Math.ceil(LEADS / STREAMS);
      const bodies = Array.from({ length: STREAMS }, (_, s) => leads.slice(s * per, (s + 1) * per).map((lead) => JSON.stringify(lead)).join('\n'));
      const apiStart = process.hrtime.bigint();
      const summaries = await Promise.all(
        bodies.map(async (body) => {
          const response = await fetch(`${gateway}/v1/leads/batch`, { method: 'POST', headers: { ...ADMIN, 'content-type': 'application/x-ndjson' }, body });
          const lines = (await response.text()).trim().split('\n');
          const summary = JSON.parse(lines.at(-1) ?? '{}') as { summary?: { created: number; errors: number } };
          if (!response.ok || !summary.summary || summary.summary.errors > 0) throw new Error(`batch failed: ${response.status} ${lines.slice(-3).join(' ').slice(0, 500)}`);
          return summary.summary;
        }),
      );
      const apiSeconds = secondsSince(apiStart);
      const created = summaries.reduce((sum, s) => sum + s.created, 0);

      // Baseline: the same lead rows as stored, loaded with psql \copy into a table like sales.lead (same indexes).
      const csv = path.join(mkdtempSync(path.join(tmpdir(), 'crm-bench-')), 'leads.csv');
      const psql = (statement: string) => execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-q', '-c', statement], { stdio: 'pipe' });
      psql(`\\copy sales.lead to '${csv}' with (format csv)`);
      psql('create table public.copy_baseline (like sales.lead including all)');
      const copyStart = process.hrtime.bigint();
      psql(`\\copy public.copy_baseline from '${csv}' with (format csv)`);
      const copySeconds = secondsSince(copyStart);

      const apiRate = created / apiSeconds;
      const copyRate = created / copySeconds;
      console.log(`leads: ${LEADS} (${created} created), NDJSON streams in parallel: ${STREAMS}`);
      console.log(`gateway NDJSON capture with routing: ${apiRate.toFixed(0)} leads/s (${apiSeconds.toFixed(1)} s)`);
      console.log(`psql \\copy baseline:                 ${copyRate.toFixed(0)} rows/s (${copySeconds.toFixed(1)} s)`);
      console.log(`ratio (capture / copy): ${(apiRate / copyRate).toFixed(2)}  (goal >= 0.3)`);
    } finally {
      await services.stop();
    }
  });
}

runBenchmark(main);
