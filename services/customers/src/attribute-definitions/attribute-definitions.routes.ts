import { etagOf, IdempotencyKeyHeader, IfMatchHeaders, PageQuery, pageOf, problemResponses, type App } from '@crm/platform';
import { z } from 'zod';
import { access } from '../access';
import type { AttributeDefinitionsService } from './attribute-definitions.service';
import { AttributeDefinition, AttributeDefinitionChanges, AttributeDefinitionInput, AttributeDefinitionParams } from './attribute-definitions.schemas';

const tags = ['attribute-definitions'];

export function attributeDefinitionsRoutes(app: App, { attributeDefinitions }: { attributeDefinitions: AttributeDefinitionsService }): void {
  app.post(
    '/v1/attribute-definitions',
    {
      config: { access: access.administer },
      schema: {
        operationId: 'createAttributeDefinition',
        tags, summary: 'Define a custom customer attribute', headers: z.object({ 'idempotency-key': IdempotencyKeyHeader }),
        body: AttributeDefinitionInput, response: { 201: AttributeDefinition, ...problemResponses(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const definition = await attributeDefinitions.create(request.principal, request.body, request.headers['idempotency-key']);
      return reply.code(201).header('location', `/v1/attribute-definitions/${definition.name}`).header('etag', etagOf(definition.version)).send(definition);
    },
  );

  app.get(
    '/v1/attribute-definitions',
    {
      config: { access: access.read },
      schema: { operationId: 'listAttributeDefinitions', tags, summary: 'List attribute definitions', querystring: PageQuery, response: { 200: pageOf(AttributeDefinition), ...problemResponses(400, 401, 403) } },
    },
    async (request) => attributeDefinitions.list(request.query),
  );

  app.patch(
    '/v1/attribute-definitions/:name',
    {
      config: { access: access.administer },
      schema: {
        operationId: 'updateAttributeDefinition',
        tags, summary: 'Change allowed values or description (If-Match required)', params: AttributeDefinitionParams,
        headers: IfMatchHeaders,
        body: AttributeDefinitionChanges,
        response: { 200: AttributeDefinition, ...problemResponses(400, 401, 403, 404, 412, 422, 428) },
      },
    },
    async (request, reply) => {
      const definition = await attributeDefinitions.update(request.params.name, request.body, request.headers['if-match']);
      return reply.header('etag', etagOf(definition.version)).send(definition);
    },
  );
}
