/**
 * The contract conventions, applied once to every service's OpenAPI document (createApp's swagger
 * `transform` and `transformObject`), so routes declare only what is theirs: schemas, summary,
 * `operationId`. What follows from the house rules is added here, the same way everywhere:
 *
 * - every error response is `application/problem+json` with the `Problem` schema;
 * - every response has a real description: the status's meaning, for errors the problem catalogue's title;
 * - `ETag` on the 2xx answers that carry a versioned resource: one that some operation guards with `If-Match`;
 * - `Location` on the 201/202 answers of a POST that creates something with its own URL (`<path>/{id}`
 *   next to the POST's path: the created resource, the started job);
 * - headers a route sends beyond these, declared in its schema with `...sendsHeaders({ 200: ['Location'] })`;
 * - `Retry-After` on 429 and 503, which every operation may answer (rate limits, load shedding);
 * - `If-Match` is a required header where a missing one answers 428;
 * - a body also accepted as `application/x-ndjson` (`consumes` on the route) is a stream of the JSON
 *   body's `items`, one per line, and is answered with NDJSON lines;
 * - OAuth 2.0 client credentials (`POST /oauth/token`) next to bearer, so `/docs` can obtain a token.
 */
import { jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Problems } from './problems';

type Json = Record<string, unknown>;
type Operation = Json & { operationId?: string; parameters?: Json[]; requestBody?: { content?: Record<string, { schema?: Json }> }; responses?: Record<string, Json> };

const SCHEMA_REF = '#/components/schemas/';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
export const NDJSON = 'application/x-ndjson';
export const PROBLEM_JSON = 'application/problem+json';

/** Bearer (an API key or an access token) and the OAuth 2.0 client-credentials flow that issues the token. */
export const API_SECURITY_SCHEMES = {
  bearer: { type: 'http', scheme: 'bearer', description: 'An API key (`crm_…`) or an access token from `POST /oauth/token`.' },
  oauth2: {
    type: 'oauth2',
    description: 'OAuth 2.0 client credentials: an API client’s id and secret, exchanged at `POST /oauth/token` for a bearer token.',
    flows: { clientCredentials: { tokenUrl: '/oauth/token', scopes: {} } },
  },
} as const;
/** Paths are relative to where the document is served (the gateway, or a service called directly). */
export const API_SERVERS = [{ url: '/', description: 'The host serving this document' }];
/** Either scheme authenticates a request. */
export const API_SECURITY = [{ bearer: [] }, { oauth2: [] }];

/**
 * A value the route takes as it comes and the service checks itself (each batch item on its own, a
 * rule with every error path and reason), documented in the contract as `schema`, which must carry a
 * component id (`.meta({ id })`). `io` says whether it is read (a request) or written (a response).
 */
export function documentedAs(schema: z.ZodType, io?: 'input' | 'output'): z.ZodUnknown;
/** The same, still checked by `accepts` (e.g. only storable text) on the way in. */
export function documentedAs<Accepted extends z.ZodType>(schema: z.ZodType, io: 'input' | 'output', accepts: Accepted): Accepted;
export function documentedAs(schema: z.ZodType, io: 'input' | 'output' = 'input', accepts?: z.ZodType): z.ZodType {
  const id = z.globalRegistry.get(schema)?.id;
  if (!id) throw new Error('documentedAs needs a schema registered with .meta({ id })');
  // fastify-type-provider-zod names the request variant of a component `<id>Input`.
  return (accepts ?? z.unknown()).meta({ $ref: `${SCHEMA_REF}${io === 'input' ? `${id}Input` : id}` });
}

type HeaderName = 'ETag' | 'Location' | 'Retry-After';
const RESPONSE_HEADERS = 'x-response-headers';

/** Response headers a route sends that no convention implies, for its `schema`: `...sendsHeaders({ 200: ['Location'] })`. */
export function sendsHeaders(headers: Partial<Record<number, HeaderName[]>>): { [RESPONSE_HEADERS]: Partial<Record<number, HeaderName[]>> } {
  return { [RESPONSE_HEADERS]: headers };
}

const SUCCESS_DESCRIPTIONS: Record<string, string> = {
  '200': 'OK',
  '201': 'Created',
  '202': 'Accepted: the work goes on in the background',
  '204': 'No Content',
  '301': 'Moved Permanently',
  '302': 'Found',
  '303': 'See Other',
  '304': 'Not Modified',
  '307': 'Temporary Redirect',
  '308': 'Permanent Redirect: the resource lives under the id in `Location`',
};
/** The general problem of each status (the catalogue's more specific ones, e.g. idempotency-key-reused, share it). */
const PROBLEM_TITLES = new Map<string, string>(
  [
    Problems.validation, Problems.unauthenticated, Problems.forbidden, Problems.notFound, Problems.methodNotAllowed, Problems.conflict,
    Problems.gone, Problems.preconditionFailed, Problems.payloadTooLarge, Problems.unsupportedMediaType, Problems.unprocessable,
    Problems.preconditionRequired, Problems.rateLimited, Problems.internal, Problems.badGateway, Problems.unavailable,
  ].map(({ status, title }) => [String(status), title]),
);

const isError = (status: string) => /^[45]/.test(status);
const describeStatus = (status: string) =>
  SUCCESS_DESCRIPTIONS[status] ?? (PROBLEM_TITLES.get(status) ? `${PROBLEM_TITLES.get(status)} (problem details)` : `HTTP ${status}`);

const HEADERS: Record<HeaderName, Json> = {
  ETag: { description: 'The version of the resource, for `If-Match` on the next write', schema: { type: 'string', example: '"3"' } },
  Location: { description: 'Where the created resource (or the started job) is', schema: { type: 'string', format: 'uri-reference' } },
  'Retry-After': { description: 'Seconds to wait before trying again', schema: { type: 'integer', minimum: 0 } },
};
const problemResponse = (status: string): Json => ({
  description: describeStatus(status),
  ...(status === '429' || status === '503' ? { headers: { 'Retry-After': HEADERS['Retry-After'] } } : {}),
  content: { [PROBLEM_JSON]: { schema: { $ref: `${SCHEMA_REF}Problem` } } },
});

function operationsOf(document: Json): { path: string; method: string; operation: Operation }[] {
  const paths = (document.paths ?? {}) as Record<string, Record<string, Operation>>;
  return Object.entries(paths).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method) => ({ path, method, operation: item[method] as Operation })),
  );
}

const acceptsIfMatch = (operation: Operation) => (operation.parameters ?? []).some((p) => p.in === 'header' && String(p.name).toLowerCase() === 'if-match');
const schemaRefOf = (response: Json | undefined): string | undefined => {
  const content = response?.content as Record<string, { schema?: Json }> | undefined;
  const ref = content?.['application/json']?.schema?.$ref;
  return typeof ref === 'string' ? ref : undefined;
};

/** Once per document: components from the zod registry, then the conventions above. */
export function openApiDocumentTransform(input: Parameters<typeof jsonSchemaTransformObject>[0]): ReturnType<typeof jsonSchemaTransformObject> {
  const document = jsonSchemaTransformObject(input) as unknown as Json;
  applyContractConventions(document);
  return document;
}

/** Applies the conventions to a whole document in place (idempotent: applying twice changes nothing). */
export function applyContractConventions(document: Json): Json {
  const operations = operationsOf(document);
  // Resources some operation guards with If-Match are versioned: their 2xx answers carry an ETag.
  const versioned = new Set(
    operations.filter(({ operation }) => acceptsIfMatch(operation)).flatMap(({ operation }) =>
      Object.entries(operation.responses ?? {}).flatMap(([status, response]) => (status.startsWith('2') ? [schemaRefOf(response)] : [])),
    ),
  );
  versioned.delete(undefined);

  const paths = new Set(operations.map(({ path }) => path));
  // A POST to `<collection>` or `<collection>/<action>` creates something with a URL when `<collection>/{…}` is a path.
  const hasItemUrl = (path: string) =>
    [path, path.replace(/\/[^/{}]+$/, '')].some((collection) => [...paths].some((other) => other.startsWith(`${collection}/{`) && !other.slice(collection.length + 1).includes('/')));

  for (const { path, method, operation } of operations) {
    const declared = (operation[RESPONSE_HEADERS] ?? {}) as Record<string, HeaderName[]>;
    delete operation[RESPONSE_HEADERS];
    const responses = (operation.responses ??= {});
    const answers428 = '428' in responses;
    for (const parameter of operation.parameters ?? []) {
      if (answers428 && parameter.in === 'header' && String(parameter.name).toLowerCase() === 'if-match') {
        parameter.required = true;
        parameter.description ??= 'The ETag from your last read; without it the write is refused (428)';
      }
    }
    for (const status of ['429', '503']) responses[status] ??= {};
    for (const [status, response] of Object.entries(responses)) {
      if (isError(status)) {
        responses[status] = problemResponse(status);
        continue;
      }
      if (!response.description || response.description === 'Default Response') response.description = describeStatus(status);
      const headers: Record<string, unknown> = { ...(response.headers as Json | undefined) };
      if (status.startsWith('2') && versioned.has(schemaRefOf(response))) headers.ETag = HEADERS.ETag;
      if (method === 'post' && (status === '201' || status === '202') && hasItemUrl(path)) headers.Location = HEADERS.Location;
      if (status === '308') headers.Location = HEADERS.Location;
      for (const name of declared[status] ?? []) headers[name] = HEADERS[name];
      if (Object.keys(headers).length > 0) response.headers = headers;
    }
    declareNdjsonBody(operation);
  }

  const components = ((document.components ??= {}) as Json);
  components.securitySchemes = { ...(components.securitySchemes as Json | undefined), ...API_SECURITY_SCHEMES };
  document.security = API_SECURITY;
  document.servers = API_SERVERS;
  return document;
}

/** An NDJSON body is a stream of what the JSON body lists under `items`, one per line; the answer streams NDJSON lines. */
function declareNdjsonBody(operation: Operation): void {
  const content = operation.requestBody?.content;
  if (!content?.[NDJSON]) return;
  const items = (content['application/json']?.schema?.properties as Record<string, Json> | undefined)?.items?.items as Json | undefined;
  if (items) content[NDJSON] = { schema: { ...items, description: 'One item per line (newline-delimited JSON), any number of lines' } };
  const ok = operation.responses?.['200'] as { content?: Record<string, unknown> } | undefined;
  if (ok?.content && !ok.content[NDJSON]) {
    ok.content[NDJSON] = { schema: { type: 'object', description: 'One JSON object per line, as the operation’s description says' } };
  }
}
