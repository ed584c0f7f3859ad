import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { TEST_ENV } from './environment';

interface Stoppable { stop(): Promise<unknown> }

export default async function globalTeardown(): Promise<void> {
  const containers = (globalThis as Record<string, unknown>).__crmContainers as Stoppable[] | undefined;
  await Promise.all((containers ?? []).map((container) => container.stop()));
  // A broker this run started is left running for the next local run (it reuses it at once); CI stops it.
  if (process.env.CI && process.env[TEST_ENV.startedKafka]) {
    execFileSync(path.resolve(__dirname, '../../../infra/kafka/stop'), { stdio: 'inherit' });
  }
}
