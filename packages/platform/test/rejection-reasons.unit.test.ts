import { Readable } from 'node:stream';
import { Problems } from '../src';
import { readNdjson } from '../src/ndjson';

const limits = { maxLineBytes: 64 * 1024, maxStreamBytes: 1024 * 1024, maxLines: 1000 };

describe('NDJSON rejection reasons', () => {
  it('say which line is not JSON without quoting it (ingest jobs keep reasons)', async () => {
    const lines: unknown[] = [];
    const reader = readNdjson(Readable.from(['{"ok":1}\nAda Lovelace ada@example.com +447700900123\n{"broken": "Ada\n']), limits);
    for await (const chunk of reader.chunks(10)) lines.push(...chunk);
    expect(lines).toEqual([
      { index: 0, value: { ok: 1 } },
      { index: 1, error: 'line 2 is not valid JSON', problem: Problems.malformedJson },
      { index: 2, error: 'line 3 is not valid JSON', problem: Problems.malformedJson },
    ]);
  });
});
