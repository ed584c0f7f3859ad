import { Readable } from 'node:stream';
import { ndjsonChunks } from '../src/ndjson';

describe('NDJSON rejection reasons', () => {
  it('say which line is not JSON without quoting it (ingest jobs keep reasons)', async () => {
    const lines: unknown[] = [];
    for await (const chunk of ndjsonChunks(Readable.from(['{"ok":1}\nAda Lovelace ada@example.com +447700900123\n{"broken": "Ada\n']), 10)) lines.push(...chunk);
    expect(lines).toEqual([
      { index: 0, value: { ok: 1 } },
      { index: 1, error: 'line 2 is not valid JSON' },
      { index: 2, error: 'line 3 is not valid JSON' },
    ]);
  });
});
