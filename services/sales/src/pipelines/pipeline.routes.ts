import { etagOf, IfMatchHeaders, pageOf, problemResponses, sendsHeaders, type AccessRule, type App } from '@crm/platform';
import { z } from 'zod';
import { administer, SALES_READERS } from '../access';
import { NewPipeline, Pipeline, PipelineChanges, PipelineListQuery } from './pipeline.schemas';
import type { PipelineService } from './pipeline.service';

const tags = ['pipelines'];
/** Everyone who works opportunities reads the pipelines they move through. */
const readPipelines: AccessRule = { action: 'read pipelines', staff: SALES_READERS, dealer: true, integration: true };
const Params = z.object({ id: z.uuid() });

export function pipelineRoutes(app: App, pipelines: PipelineService): void {
  app.post(
    '/v1/pipelines',
    {
      config: { access: administer },
      schema: {
        operationId: 'createPipeline',
        tags,
        summary: 'Create a pipeline for a sales channel with its ordered stages',
        description: 'Every pipeline ends in the terminal stages `won` and `lost`. The first pipeline of a channel, or one created with `isDefault`, is the channel\'s default.',
        body: NewPipeline,
        ...sendsHeaders({ 201: ['Location', 'ETag'] }),
        response: { 201: Pipeline, ...problemResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const pipeline = await pipelines.create(request.body);
      return reply.code(201).header('location', `/v1/pipelines/${pipeline.id}`).header('etag', etagOf(pipeline.version)).send(pipeline);
    },
  );

  app.get(
    '/v1/pipelines',
    { config: { access: readPipelines }, schema: { operationId: 'listPipelines', tags, summary: 'List pipelines', querystring: PipelineListQuery, response: { 200: pageOf(Pipeline), ...problemResponses(400, 401, 403) } } },
    async (request) => pipelines.list(request.query),
  );

  app.get(
    '/v1/pipelines/:id',
    {
      config: { access: readPipelines },
      schema: { operationId: 'getPipeline', tags, summary: 'A pipeline with its stages', params: Params, ...sendsHeaders({ 200: ['ETag'] }), response: { 200: Pipeline, ...problemResponses(400, 401, 403, 404) } },
    },
    async (request, reply) => {
      const pipeline = await pipelines.get(request.params.id);
      return reply.header('etag', etagOf(pipeline.version)).send(pipeline);
    },
  );

  app.patch(
    '/v1/pipelines/:id',
    {
      config: { access: administer },
      schema: {
        operationId: 'updatePipeline',
        tags,
        summary: 'Rename a pipeline, make it its channel\'s default or replace its stages',
        description: 'Changed probabilities apply to opportunities entering the stage from now on. A stage open opportunities are in cannot be dropped (422).',
        params: Params,
        headers: IfMatchHeaders,
        body: PipelineChanges,
        ...sendsHeaders({ 200: ['ETag'] }),
        response: { 200: Pipeline, ...problemResponses(400, 401, 403, 404, 412, 422, 428) },
      },
    },
    async (request, reply) => {
      const pipeline = await pipelines.update(request.params.id, request.body, request.headers['if-match']);
      return reply.header('etag', etagOf(pipeline.version)).send(pipeline);
    },
  );
}
