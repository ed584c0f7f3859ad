import { SafeText } from '@crm/domain';
import { etagOf, IdempotencyKeyHeader, idempotencyScope, IfMatchHeaders, onceForKey, PageQuery, pageOf, paginate, decodeCursor, problem, problemResponses, Problems, requestHash, requireIfMatch, type App } from '@crm/platform';
import { sql } from 'kysely';
import { z } from 'zod';
import type { AttributeDefinitionRow, DealerRow } from '../db/tables';
import { authorize } from '../domain/access';
import type { RouteContext } from './route-context';

const DealerInput = z.strictObject({
  code: z.string().trim().regex(/^[A-Za-z0-9._-]{1,50}$/, 'must be 1-50 letters, digits, ".", "_" or "-"'),
  name: SafeText.trim().min(1).max(200),
  region: SafeText.trim().max(100).nullable().optional(),
  city: SafeText.trim().max(100).nullable().optional(),
});
const Dealer = z
  .object({ id: z.uuid(), code: z.string(), name: z.string(), region: z.string().nullable(), city: z.string().nullable(), version: z.number().int() })
  .meta({ id: 'Dealer' });
const dealerOf = (row: DealerRow): z.infer<typeof Dealer> => ({ id: row.id, code: row.code, name: row.name, region: row.region, city: row.city, version: row.version });

const AttributeType = z.enum(['string', 'number', 'boolean', 'date', 'enum']);
const AttributeName = z.string().regex(/^[a-z][a-zA-Z0-9_]{0,62}$/, 'must start with a lower-case letter: letters, digits, "_"');
const AttributeDefinitionInput = z
  .strictObject({
    name: AttributeName,
    type: AttributeType,
    allowedValues: z.array(SafeText.min(1).max(100)).min(1).max(500).optional(),
    description: SafeText.max(500).optional(),
  })
  .refine((d) => (d.type === 'enum') === (d.allowedValues !== undefined), { message: 'allowedValues is required for enum attributes and only for them', path: ['allowedValues'] });
const AttributeDefinition = z
  .object({ name: z.string(), type: AttributeType, allowedValues: z.array(z.string()).nullable(), description: z.string().nullable(), version: z.number().int() })
  .meta({ id: 'AttributeDefinition' });
const definitionOf = (row: AttributeDefinitionRow): z.infer<typeof AttributeDefinition> => ({
  name: row.name, type: row.type, allowedValues: row.allowed_values, description: row.description, version: row.version,
});

const NameCursor = z.object({ key: SafeText });

export function referenceDataRoutes(app: App, context: RouteContext): void {
  const dealerTags = ['dealers'];
  app.post(
    '/v1/dealers',
    { schema: { operationId: 'createDealer', tags: dealerTags, summary: 'Create a dealer', headers: z.object({ 'idempotency-key': IdempotencyKeyHeader }), body: DealerInput, response: { 201: Dealer, ...problemResponses(400, 401, 403, 409, 422) } } },
    async (request, reply) => {
      authorize(request.principal, 'administer');
      const stored = await context.write((trx) =>
        onceForKey(trx, { scope: idempotencyScope('dealers.create', request.principal), key: request.headers['idempotency-key'], hash: requestHash(request.body) }, async () => {
          const row = await trx
            .insertInto('dealer')
            .values({ id: context.runtime.newId(), code: request.body.code, name: request.body.name, region: request.body.region ?? null, city: request.body.city ?? null })
            .onConflict((oc) => oc.column('code').doNothing())
            .returningAll()
            .executeTakeFirst();
          if (!row) throw problem(Problems.conflict, `dealer code ${request.body.code} is taken`);
          return { statusCode: 201, body: dealerOf(row) };
        }),
      );
      const dealer = stored.body as z.infer<typeof Dealer>;
      return reply.code(201).header('location', `/v1/dealers/${dealer.id}`).header('etag', etagOf(dealer.version)).send(dealer);
    },
  );

  app.get(
    '/v1/dealers',
    { schema: { operationId: 'listDealers', tags: dealerTags, summary: 'List dealers', querystring: PageQuery, response: { 200: pageOf(Dealer), ...problemResponses(400, 401, 403) } } },
    async (request) => {
      authorize(request.principal, 'read');
      const after = decodeCursor(request.query.cursor, NameCursor);
      let query = context.db.selectFrom('dealer').selectAll();
      if (request.principal.kind === 'dealer') query = query.where('id', '=', request.principal.dealerId);
      if (after) query = query.where('code', '>', after.key);
      const rows = await query.orderBy('code').limit(request.query.limit + 1).execute();
      return paginate(rows, request.query.limit, dealerOf, (row) => ({ key: row.code }));
    },
  );

  app.get(
    '/v1/dealers/:id',
    { schema: { operationId: 'getDealer', tags: dealerTags, summary: 'Read a dealer', params: z.object({ id: z.uuid() }), response: { 200: Dealer, ...problemResponses(400, 401, 403, 404) } } },
    async (request, reply) => {
      authorize(request.principal, 'read');
      const row = await context.db.selectFrom('dealer').selectAll().where('id', '=', request.params.id).executeTakeFirst();
      if (!row || (request.principal.kind === 'dealer' && request.principal.dealerId !== row.id)) throw problem(Problems.notFound, `dealer ${request.params.id} does not exist`);
      return reply.header('etag', etagOf(row.version)).send(dealerOf(row));
    },
  );

  app.patch(
    '/v1/dealers/:id',
    {
      schema: {
        operationId: 'updateDealer',
        tags: dealerTags, summary: 'Change a dealer (If-Match required)', params: z.object({ id: z.uuid() }),
        headers: IfMatchHeaders, body: DealerInput.partial(),
        response: { 200: Dealer, ...problemResponses(400, 401, 403, 404, 409, 412, 428) },
      },
    },
    async (request, reply) => {
      authorize(request.principal, 'administer');
      const row = await context.write(async (trx) => {
        const current = await trx.selectFrom('dealer').selectAll().where('id', '=', request.params.id).forUpdate().executeTakeFirst();
        if (!current) throw problem(Problems.notFound, `dealer ${request.params.id} does not exist`);
        requireIfMatch(request.headers['if-match'], current.version);
        if (request.body.code && request.body.code !== current.code) {
          const taken = await trx.selectFrom('dealer').select('id').where('code', '=', request.body.code).executeTakeFirst();
          if (taken) throw problem(Problems.conflict, `dealer code ${request.body.code} is taken`);
        }
        return trx.updateTable('dealer').set({ ...request.body, version: sql`version + 1`, updated_at: sql`now()` }).where('id', '=', current.id).returningAll().executeTakeFirstOrThrow();
      });
      return reply.header('etag', etagOf(row.version)).send(dealerOf(row));
    },
  );

  const attributeTags = ['attribute-definitions'];
  app.post(
    '/v1/attribute-definitions',
    {
      schema: {
        operationId: 'createAttributeDefinition',
        tags: attributeTags, summary: 'Define a custom customer attribute', headers: z.object({ 'idempotency-key': IdempotencyKeyHeader }),
        body: AttributeDefinitionInput, response: { 201: AttributeDefinition, ...problemResponses(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      authorize(request.principal, 'administer');
      const stored = await context.write((trx) =>
        onceForKey(trx, { scope: idempotencyScope('attributes.create', request.principal), key: request.headers['idempotency-key'], hash: requestHash(request.body) }, async () => {
          const row = await trx
            .insertInto('attribute_definition')
            .values({ name: request.body.name, type: request.body.type, allowed_values: request.body.allowedValues ?? null, description: request.body.description ?? null })
            .onConflict((oc) => oc.column('name').doNothing())
            .returningAll()
            .executeTakeFirst();
          if (!row) throw problem(Problems.conflict, `attribute ${request.body.name} is already defined`);
          return { statusCode: 201, body: definitionOf(row) };
        }),
      );
      const definition = stored.body as z.infer<typeof AttributeDefinition>;
      return reply.code(201).header('location', `/v1/attribute-definitions/${definition.name}`).header('etag', etagOf(definition.version)).send(definition);
    },
  );

  app.get(
    '/v1/attribute-definitions',
    { schema: { operationId: 'listAttributeDefinitions', tags: attributeTags, summary: 'List attribute definitions', querystring: PageQuery, response: { 200: pageOf(AttributeDefinition), ...problemResponses(400, 401, 403) } } },
    async (request) => {
      authorize(request.principal, 'read');
      const after = decodeCursor(request.query.cursor, NameCursor);
      let query = context.db.selectFrom('attribute_definition').selectAll();
      if (after) query = query.where('name', '>', after.key);
      const rows = await query.orderBy('name').limit(request.query.limit + 1).execute();
      return paginate(rows, request.query.limit, definitionOf, (row) => ({ key: row.name }));
    },
  );

  app.patch(
    '/v1/attribute-definitions/:name',
    {
      schema: {
        operationId: 'updateAttributeDefinition',
        tags: attributeTags, summary: 'Change allowed values or description (If-Match required)', params: z.object({ name: AttributeName }),
        headers: IfMatchHeaders,
        body: z.strictObject({ allowedValues: z.array(SafeText.min(1).max(100)).min(1).max(500).optional(), description: SafeText.max(500).optional() }),
        response: { 200: AttributeDefinition, ...problemResponses(400, 401, 403, 404, 412, 422, 428) },
      },
    },
    async (request, reply) => {
      authorize(request.principal, 'administer');
      const row = await context.write(async (trx) => {
        const current = await trx.selectFrom('attribute_definition').selectAll().where('name', '=', request.params.name).forUpdate().executeTakeFirst();
        if (!current) throw problem(Problems.notFound, `attribute ${request.params.name} is not defined`);
        requireIfMatch(request.headers['if-match'], current.version);
        if (request.body.allowedValues && current.type !== 'enum') throw problem(Problems.unprocessable, 'only enum attributes have allowed values');
        return trx.updateTable('attribute_definition')
          .set({
            ...(request.body.allowedValues ? { allowed_values: request.body.allowedValues } : {}),
            ...(request.body.description !== undefined ? { description: request.body.description } : {}),
            version: sql`version + 1`, updated_at: sql`now()`,
          })
          .where('name', '=', current.name).returningAll().executeTakeFirstOrThrow();
      });
      return reply.header('etag', etagOf(row.version)).send(definitionOf(row));
    },
  );
}
