/**
 * `pnpm openapi` — writes the suite's merged OpenAPI document to services/gateway/openapi.json, the
 * committed contract that the suite test diffs against (a change of contract is a reviewed diff).
 *
 * Services never import each other, so each upstream runs as its own process here: embedded, on a
 * throwaway data directory and a free port. The gateway is built in process and merges their documents.
 * Fails when an upstream does not answer or the result is not a valid OpenAPI document.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInProcessBus, createLogger, loadConfig, openDatabase, systemRuntime } from '@crm/platform';
import { eventually, freePort } from '@crm/testkit';
import { compileErrors, validate } from '@readme/openapi-parser';
import { buildGateway } from '../src/app';
import { gatewayConfigSchema } from '../src/config';
import { UPSTREAMS } from '../src/proxy/upstreams';

const ROOT = path.resolve(__dirname, '../../..');
const OUTPUT = path.resolve(__dirname, '../openapi.json');

/** Starts every upstream (registering each child in `children` at once, so the caller can always stop them). */
async function startUpstreams(dataDir: string, children: ChildProcess[]): Promise<Record<string, string>> {
  const urls: Record<string, string> = {};
  for (const upstream of UPSTREAMS) {
    const port = await freePort();
    const portEnv = `${upstream.name.toUpperCase()}_PORT`;
    const env = { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'error', DATA_DIR: path.join(dataDir, upstream.name), [portEnv]: String(port) };
    delete env.DATABASE_URL;
    delete env.KAFKA_BROKERS;
    children.push(spawn(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), `services/${upstream.name}/src/main.ts`], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] }));
    const url = `http://127.0.0.1:${port}`;
    await eventually(`${upstream.name} to serve /openapi.json`, async () => {
      const response = await fetch(`${url}/openapi.json`).catch(() => undefined);
      if (response && !response.ok) throw new Error(`${upstream.name} answered /openapi.json with ${response.status}: ${await response.text()}`);
      return response ? true : undefined;
    }, 60_000);
    urls[upstream.urlEnv] = url;
  }
  return urls;
}

async function main(): Promise<number> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'crm-openapi-'));
  const children: ChildProcess[] = [];
  const db = openDatabase({ kind: 'embedded' });
  const bus = createInProcessBus();
  try {
    const urls = await startUpstreams(dataDir, children);
    const config = loadConfig(gatewayConfigSchema, { NODE_ENV: 'development', ...urls });
    const gateway = await buildGateway({ db, bus, logger: createLogger({ name: 'write-openapi', level: 'error' }), runtime: systemRuntime, config });
    try {
      return await writeDocument(gateway);
    } finally {
      await gateway.app.close();
      await gateway.stop();
    }
  } finally {
    await bus.close();
    await db.destroy();
    for (const child of children) child.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function writeDocument(gateway: Awaited<ReturnType<typeof buildGateway>>): Promise<number> {
  const document = (await gateway.app.inject({ method: 'GET', url: '/openapi.json' })).json<Record<string, unknown> & { 'x-missing-upstreams': string[] }>();
  if (document['x-missing-upstreams'].length > 0) {
    process.stderr.write(`these upstreams did not serve their document: ${document['x-missing-upstreams'].join(', ')}\n`);
    return 1;
  }
  const result = await validate(structuredClone(document) as unknown as Parameters<typeof validate>[0]);
  if (!result.valid) {
    process.stderr.write(`the merged document is not valid OpenAPI:\n${compileErrors(result)}\n`);
    return 1;
  }
  writeFileSync(OUTPUT, `${JSON.stringify(document, null, 2)}\n`);
  process.stdout.write(`wrote ${path.relative(process.cwd(), OUTPUT)} (${Object.keys(document.paths as object).length} paths)\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
    process.exit(1);
  },
);
