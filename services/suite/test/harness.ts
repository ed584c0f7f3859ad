import { customersService } from '@crm/customers';
import { gatewayService } from '@crm/gateway';
import { salesService } from '@crm/sales';
import { scoringService } from '@crm/scoring';
import { baseConfigSchema, createLogger, loadConfig, runServices } from '@crm/platform';
import { createTestDatabase, freePort, testKafkaBrokers, uniqueTopicPrefix, type TestDatabase } from '@crm/testkit';

/** The development admin key the suite accepts in tests. */
export const ADMIN = { authorization: 'Bearer crm-dev-admin-key' };

export interface RunningSuite {
  /** The gateway's base URL, and each service's own (to call them directly). */
  api: string;
  port: number;
  customersUrl: string;
  scoringUrl: string;
  salesUrl: string;
  topicPrefix: string;
  database: TestDatabase;
  close(): Promise<void>;
}

/**
 * The whole suite as `pnpm start` runs it, on the real PostgreSQL (a database of its own) and Kafka (a
 * topic prefix of its own), every service on a free loopback port. `settings` adds to the base config.
 */
export async function startSuite(name: string, settings: Record<string, string> = {}): Promise<RunningSuite> {
  const database = await createTestDatabase();
  const [port, customersPort, scoringPort, salesPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const customersUrl = `http://127.0.0.1:${customersPort}`;
  const scoringUrl = `http://127.0.0.1:${scoringPort}`;
  const salesUrl = `http://127.0.0.1:${salesPort}`;
  const env = { PORT: String(port), CUSTOMERS_PORT: String(customersPort), CUSTOMERS_URL: customersUrl, SCORING_PORT: String(scoringPort), SCORING_URL: scoringUrl, SALES_PORT: String(salesPort), SALES_URL: salesUrl };
  const topicPrefix = uniqueTopicPrefix();
  const config = loadConfig(baseConfigSchema, {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    DATABASE_URL: database.url,
    KAFKA_BROKERS: testKafkaBrokers().join(','),
    KAFKA_TOPIC_PREFIX: topicPrefix,
    ...settings,
  });
  // Services read their own settings (ports, upstream URLs, ...) from the environment, as in `pnpm start`.
  Object.assign(process.env, env, settings);
  const suite = await runServices([customersService, scoringService, salesService, gatewayService], { config, logger: createLogger({ name, level: process.env.TEST_LOG_LEVEL ?? 'silent' }), env: { ...process.env } });
  return {
    api: `http://127.0.0.1:${port}`,
    port,
    customersUrl,
    scoringUrl,
    salesUrl,
    topicPrefix,
    database,
    close: async () => {
      await suite.close();
      await database.drop();
    },
  };
}

export interface Answer {
  status: number;
  headers: Headers;
  /** The body as sent, for searching it. */
  text: string;
  // Tests read answers field by field.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** One JSON call (redirects not followed unless asked), its answer parsed. */
export async function callJson(
  base: string,
  method: string,
  url: string,
  headers: Record<string, string>,
  body?: unknown,
  redirect: 'manual' | 'follow' = 'manual',
): Promise<Answer> {
  const response = await fetch(`${base}${url}`, {
    method,
    redirect,
    headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: text ? JSON.parse(text) : undefined };
}
