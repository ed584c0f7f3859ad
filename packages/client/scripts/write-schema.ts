/** Writes packages/client/src/schema.ts from the committed contract; `pnpm openapi` runs it after the document. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DOCUMENT_PATH, SCHEMA_PATH, schemaSource } from './schema-source';

schemaSource(readFileSync(DOCUMENT_PATH, 'utf8')).then(
  (source) => {
    writeFileSync(SCHEMA_PATH, source);
    process.stdout.write(`wrote ${path.relative(process.cwd(), SCHEMA_PATH)}\n`);
  },
  (error: unknown) => {
    process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
    process.exit(1);
  },
);
