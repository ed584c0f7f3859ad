/**
 * pnpm bench:clv — the BG/NBD fit in process on a simulated base of BENCH_CUSTOMERS (default 1,000,000)
 * day-level histories, the figure (goal ≤ 20 s). Baseline of the same run: one pass that only
 * aggregates the histories into (x, t_x, T) triples, so the ratio says what the optimiser adds to reading
 * the data once. No database: `pnpm bench:scoring` measures the fit through the API.
 */
import { aggregateSummaries, fitBgNbd, type BgNbdParams } from '../services/scoring/src/clv';
import { seededRandom, simulateBgNbd } from '../services/scoring/src/clv/clv.simulation';
import { secondsSince } from './support';

const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 1_000_000);
const truth: BgNbdParams = { r: 0.25, alpha: 4, a: 0.8, b: 2.5 };
const random = seededRandom(CUSTOMERS);
const ages = Array.from({ length: CUSTOMERS }, () => (273 - Math.floor(random() * 84)) / 7);
const customers = simulateBgNbd(truth, ages, random, 1 / 7);

let started = process.hrtime.bigint();
const data = aggregateSummaries(customers);
const aggregateSeconds = secondsSince(started);
started = process.hrtime.bigint();
const fit = fitBgNbd(aggregateSummaries(customers));
const fitSeconds = secondsSince(started);

const estimates = Object.entries(fit.params).map(([key, value]) => `${key}=${value.toFixed(3)}`).join(' ');
console.log(`customers: ${CUSTOMERS.toLocaleString('en')} (${data.x.length.toLocaleString('en')} distinct triples), converged: ${fit.converged}, ${estimates}`);
console.log(`aggregate only (baseline): ${aggregateSeconds.toFixed(2)} s`);
console.log(`aggregate + BG/NBD fit:    ${fitSeconds.toFixed(2)} s  (goal ≤ 20 s)  ratio ${(fitSeconds / aggregateSeconds).toFixed(1)}`);
