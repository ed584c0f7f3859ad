import { readFileSync } from 'node:fs';
import { DOCUMENT_PATH, SCHEMA_PATH, schemaSource } from '../scripts/schema-source';

describe('the generated client types', () => {
  it('are what openapi-typescript makes of the committed contract (run `pnpm openapi` after a contract change)', async () => {
    const expected = await schemaSource(readFileSync(DOCUMENT_PATH, 'utf8'));
    expect(readFileSync(SCHEMA_PATH, 'utf8') === expected).toBe(true);
  });

  it('notice a drift', async () => {
    const document = JSON.parse(readFileSync(DOCUMENT_PATH, 'utf8')) as { paths: Record<string, unknown> };
    delete document.paths['/v1/customers'];
    expect(await schemaSource(JSON.stringify(document))).not.toBe(readFileSync(SCHEMA_PATH, 'utf8'));
  });
});
