/** What the benchmarks share: a scratch database, and services started as their own processes. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { eventually } from '@crm/testkit';
import pg from 'pg';

export const SERVER = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const ADMIN = { authorization: `Bearer ${process.env.CRM_ADMIN_API_KEY ?? 'crm-dev-admin-key'}` };

async function onServer(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: SERVER });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Runs `work` with the URL of a database made for this run, dropped afterwards whatever happens. */
export async function withScratchDatabase<T>(prefix: string, work: (url: string) => Promise<T>): Promise<T> {
  const database = `${prefix}_${Date.now()}`;
  await onServer(`create database ${database}`);
  const url = new URL(SERVER);
  url.pathname = `/${database}`;
  try {
    return await work(url.toString());
  } finally {
    await onServer(`drop database if exists ${database} with (force)`);
  }
}

/**
 * A benchmark measures throughput, not the gateway's per-caller limits, and its NDJSON body can pass
 * 1 GiB at full scale: limits off unless the caller's env sets them.
 */
const UNLIMITED = {
  RATE_LIMIT_READS_PER_MINUTE: '0',
  RATE_LIMIT_WRITES_PER_MINUTE: '0',
  RATE_LIMIT_BULK_PER_MINUTE: '0',
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0',
  GATEWAY_MAX_BULK_BYTES: String(64 * 1024 ** 3),
};

/** Starts each service as its own process (distributed mode) and waits until every URL answers ready. */
export async function startServices(services: string[], givenEnv: NodeJS.ProcessEnv, readyUrls: string[]): Promise<{ stop(): Promise<void> }> {
  const env = { ...UNLIMITED, ...givenEnv };
  const children: ChildProcess[] = services.map((service) =>
    spawn(process.execPath, ['node_modules/tsx/dist/cli.mjs', `services/${service}/src/main.ts`], { env, stdio: ['ignore', 'ignore', 'inherit'] }),
  );
  const stop = async () => {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => (child.exitCode === null ? once(child, 'exit') : Promise.resolve())));
  };
  try {
    for (const url of readyUrls) {
      await eventually(`${url} to be ready`, async () => ((await fetch(`${url}/health/ready`).catch(() => undefined))?.ok ? true : undefined), 60_000);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { stop };
}

export const secondsSince = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

/** A benchmark's entry point: runs it, exits 0, or prints the error and exits 1 (open handles never keep it alive). */
export function runBenchmark(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
