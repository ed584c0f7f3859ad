import openapiTS, { astToString } from 'openapi-typescript';
import path from 'node:path';

export const DOCUMENT_PATH = path.resolve(__dirname, '../../../services/gateway/openapi.json');
export const SCHEMA_PATH = path.resolve(__dirname, '../src/schema.ts');

const HEADER = [
  '/**',
  ' * GENERATED SOURCE: do not edit. `pnpm openapi` writes it from services/gateway/openapi.json (the',
  ' * committed contract) with openapi-typescript; a unit test fails when the two drift apart.',
  ' */',
  '',
].join('\n');

/** The TypeScript types of a contract (the text of packages/client/src/schema.ts). */
export async function schemaSource(documentText: string): Promise<string> {
  // A field with a default may be left out of a request: optional, as the document's `required` says (the default would make it required).
  const ast = await openapiTS(documentText, { defaultNonNullable: false });
  return `${HEADER}${astToString(ast)}`;
}
