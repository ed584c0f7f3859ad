/**
 * `pnpm openapi:breaking` (run by .ci/run) — fails when the committed contract (services/gateway/openapi.json)
 * breaks the one on the previous commit (`git show HEAD~1:…`) without a major `info.version` bump.
 * `CONTRACT_BASE=<rev>` compares with another revision instead (e.g. the target branch of a pull request).
 * Passes with a note when there is no such revision or it had no contract.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { judgeContractChange } from './breaking-changes';

const ROOT = path.resolve(__dirname, '../../..');
const DOCUMENT = 'services/gateway/openapi.json';
const BASE = process.env.CONTRACT_BASE || 'HEAD~1';

function previousDocument(): object | undefined {
  try {
    return JSON.parse(execFileSync('git', ['show', `${BASE}:${DOCUMENT}`], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024 })) as object;
  } catch {
    return undefined;
  }
}

const before = previousDocument();
if (!before) {
  process.stdout.write(`no ${DOCUMENT} at ${BASE}: nothing to compare\n`);
  process.exit(0);
}
const verdict = judgeContractChange(before, JSON.parse(readFileSync(path.join(ROOT, DOCUMENT), 'utf8')) as object);
const shown = 50;
for (const change of verdict.breaking.slice(0, shown)) process.stdout.write(`  breaking: ${change.path}: ${change.description}\n`);
if (verdict.breaking.length > shown) process.stdout.write(`  … and ${verdict.breaking.length - shown} more\n`);
process.stdout.write(`${verdict.ok ? 'contract check passed' : 'contract check FAILED'} against ${BASE}: ${verdict.reason}\n`);
process.exit(verdict.ok ? 0 : 1);
