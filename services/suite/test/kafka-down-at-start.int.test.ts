import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, describeTopic, eventually, freePort, testKafkaBrokers, uniqueTopicPrefix, type TestDatabase } from '@crm/testkit';

/**
 * The suite started while its Kafka broker cannot be reached: the services start and serve, report
 * not ready naming the broker, do not exit, and become ready on their own once the broker answers.
 * The broker "comes back" through a TCP proxy this test controls in front of the shared broker
 * (which must never be stopped: other test files use it).
 */
const repoRoot = path.resolve(__dirname, '../../..');

/** Refuses every connection until `open()`, then forwards to the real broker. */
async function brokerProxy(target: string): Promise<{ port: number; open(): void; close(): Promise<void> }> {
  const [host, port] = target.split(':') as [string, string];
  let open = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (!open) return void client.destroy();
    const upstream = net.connect(Number(port), host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined).on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    open: () => void (open = true),
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

interface Readiness {
  status: string;
  checks: { name: string; ok: boolean; error?: string }[];
}

let database: TestDatabase;
let child: ChildProcess | undefined;
let proxy: Awaited<ReturnType<typeof brokerProxy>>;

beforeAll(async () => {
  database = await createTestDatabase();
  proxy = await brokerProxy(testKafkaBrokers()[0] as string);
});
afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((resolve) => child?.once('exit', resolve));
  }
  await proxy?.close();
  await database?.drop();
});

it('starts without its broker, reports not ready naming it, stays up, and becomes ready when the broker answers', async () => {
  const [port, customersPort, scoringPort] = [await freePort(), await freePort(), await freePort()];
  const broker = `127.0.0.1:${proxy.port}`;
  const topicPrefix = uniqueTopicPrefix();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: database.url,
    KAFKA_BROKERS: broker,
    KAFKA_TOPIC_PREFIX: topicPrefix,
    KAFKA_TOPIC_PARTITIONS: '1',
    KAFKA_TOPIC_RETENTION_HOURS: '48',
    PORT: String(port),
    CUSTOMERS_PORT: String(customersPort),
    CUSTOMERS_URL: `http://127.0.0.1:${customersPort}`,
    SCORING_PORT: String(scoringPort),
    SCORING_URL: `http://127.0.0.1:${scoringPort}`,
  };
  child = spawn(process.execPath, ['--import', 'tsx', 'services/suite/src/main.ts'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const readiness = async (servicePort: number): Promise<{ code: number; body: Readiness } | undefined> => {
    if (child?.exitCode !== null) throw new Error(`the suite exited with ${child?.exitCode}:\n${output}`);
    const response = await fetch(`http://127.0.0.1:${servicePort}/health/ready`).catch(() => undefined);
    return response ? { code: response.status, body: (await response.json()) as Readiness } : undefined;
  };

  for (const servicePort of [customersPort, scoringPort]) {
    const answer = await eventually(`the service on ${servicePort} to answer`, () => readiness(servicePort), 60_000);
    expect(answer.code).toBe(503);
    expect(answer.body.status).toBe('not ready');
    const brokerCheck = answer.body.checks.find((check) => check.name === 'broker');
    expect(brokerCheck).toEqual(expect.objectContaining({ ok: false, error: expect.stringContaining(broker) }));
    expect(answer.body.checks.find((check) => check.name === 'database')?.ok).toBe(true);
  }
  // Still up and still answering a while later, with the broker still away.
  await sleep(3_000);
  expect(child.exitCode).toBeNull();
  expect((await readiness(customersPort))?.code).toBe(503);
  expect((await fetch(`http://127.0.0.1:${customersPort}/health/live`)).status).toBe(200);

  proxy.open();
  for (const servicePort of [customersPort, scoringPort]) {
    await eventually(`the service on ${servicePort} to become ready`, async () => ((await readiness(servicePort))?.code === 200 ? true : undefined), 90_000);
  }
  // The topics were created once the broker answered, as configured.
  for (const topic of ['crm.customers', 'crm.scoring']) {
    expect(await describeTopic(`${topicPrefix}${topic}`)).toEqual({ partitions: 1, retentionMs: String(48 * 3_600_000) });
  }
  // Events flow: a customer created now reaches scoring's projection through Kafka.
  const created = await fetch(`http://127.0.0.1:${port}/v1/customers`, {
    method: 'POST',
    headers: { authorization: 'Bearer crm-dev-admin-key', 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'person', givenName: 'Late', familyName: 'Broker' }),
  });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  await eventually(
    'the customer in scoring',
    async () => {
      const scores = await fetch(`http://127.0.0.1:${port}/v1/customers/${id}/scores`, { headers: { authorization: 'Bearer crm-dev-admin-key' } });
      return scores.status === 200 ? true : undefined;
    },
    60_000,
  );
}, 240_000);
