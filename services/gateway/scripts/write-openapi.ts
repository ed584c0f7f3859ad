/**
 * Writes the suite's merged OpenAPI document to services/gateway/openapi.json (committed, diffed in CI).
 *
 * The upstream documents come from the running services (services never import each other):
 * start them first, e.g. `pnpm start`, or point CUSTOMERS_URL (etc.) at them. The gateway itself
 * is built in process on an in-memory embedded database. Fails when an upstream is missing, unless
 * `--allow-missing` is given, and when the result is not a valid OpenAPI document.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInProcessBus, createLogger, loadConfig, openDatabase, systemRuntime } from '@crm/platform';
import { compileErrors, validate } from '@readme/openapi-parser';
import { buildGateway } from '../src/app';
import { gatewayConfigSchema } from '../src/config';
import { resolveUpstreams } from '../src/upstreams';

const OUTPUT = path.resolve(__dirname, '../openapi.json');

async function main(): Promise<number> {
  const allowMissing = process.argv.includes('--allow-missing');
  const config = loadConfig(gatewayConfigSchema, { ...process.env, NODE_ENV: 'development', DATABASE_URL: undefined, KAFKA_BROKERS: undefined });
  const logger = createLogger({ name: 'write-openapi', level: 'error' });
  const db = openDatabase({ kind: 'embedded' });
  const bus = createInProcessBus();
  const gateway = await buildGateway({ db, bus, logger, runtime: systemRuntime, config });
  try {
    const response = await gateway.app.inject({ method: 'GET', url: '/openapi.json' });
    const document = response.json<Record<string, unknown> & { 'x-missing-upstreams': string[] }>();
    const missing = document['x-missing-upstreams'];
    if (missing.length > 0) {
      const where = resolveUpstreams(config).filter((upstream) => missing.includes(upstream.name)).map((u) => `  ${u.name} at ${u.url} (${u.urlEnv})`);
      process.stderr.write(`these upstreams did not serve /openapi.json:\n${where.join('\n')}\nstart them (pnpm start) or pass --allow-missing\n`);
      if (!allowMissing) return 1;
    }
    const result = await validate(structuredClone(document) as unknown as Parameters<typeof validate>[0]);
    if (!result.valid) {
      process.stderr.write(`the merged document is not valid OpenAPI:\n${compileErrors(result)}\n`);
      return 1;
    }
    writeFileSync(OUTPUT, `${JSON.stringify(document, null, 2)}\n`);
    process.stdout.write(`wrote ${path.relative(process.cwd(), OUTPUT)} (${Object.keys(document.paths as object).length} paths)\n`);
    return 0;
  } finally {
    await gateway.app.close();
    await bus.close();
    await db.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
    process.exit(1);
  },
);
