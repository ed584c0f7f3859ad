import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Embedded mode (PGlite, in-process bus), as `pnpm start` runs it: an outbox row is deleted only after
 * the consumer's transaction committed. A process killed with SIGKILL while its consumer handles an
 * event leaves the row in the outbox; the next process delivers it, once. Real processes, because
 * PGlite does not load inside jest (see fixtures/embedded-process.ts).
 */
const repoRoot = path.resolve(__dirname, '../../..');
const script = path.join(__dirname, 'fixtures/embedded-process.ts');
const dataDir = mkdtempSync(path.join(tmpdir(), 'crm-embedded-delivery-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Runs the fixture; resolves with its stdout once `until` matches it (then kills it with SIGKILL) or it exits. */
function run(args: string[], until?: RegExp): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: repoRoot, env: { ...process.env, DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let errors = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`embedded process timed out:\n${output}\n${errors}`));
    }, 60_000);
    child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (until?.test(output)) child.kill('SIGKILL');
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0 || (until && signal === 'SIGKILL' && until.test(output))) resolve(output);
      else reject(new Error(`embedded process ended with ${code ?? signal}:\n${output}\n${errors}`));
    });
  });
}

it('keeps an event in the outbox until its consumer committed, across a SIGKILL mid-delivery', async () => {
  const customerId = randomUUID();
  // Killed while the consumer's transaction is open: the relay had handed the event over, not deleted it.
  await run(['hang', customerId], /handling/);
  const output = await run(['deliver']);
  const result = JSON.parse(output.split('result ')[1] ?? 'null') as { outbox: number; erasures: string[]; inbox: string[]; deadLetters: number };
  expect(result).toEqual({ outbox: 0, erasures: [customerId], inbox: ['erasures'], deadLetters: 0 });
}, 150_000);
