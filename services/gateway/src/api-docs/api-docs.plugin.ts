import swaggerUi from '@fastify/swagger-ui';
import type { App } from '@crm/platform';
import type { FastifyRequest } from 'fastify';
import { jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { OpenApiDocument } from './openapi-document.schemas';
import { mergeOpenApiDocuments, type MergeOptions } from './openapi.merge';
import type { UpstreamDocuments } from './upstream-documents.service';

/**
 * The gateway's own document with the component schemas its `$ref`s name. createApp registers
 * @fastify/swagger without `transformObject`, which leaves `components.schemas` empty; applying it
 * here fills them in (merging prunes the schemas no path reaches).
 */
function ownDocument(app: App): OpenApiDocument {
  type SwaggerDocumentObject = Parameters<typeof jsonSchemaTransformObject>[0];
  const withSchemas = jsonSchemaTransformObject({ openapiObject: app.swagger() } as unknown as SwaggerDocumentObject);
  return OpenApiDocument.parse(withSchemas);
}

/**
 * Serves the suite's merged OpenAPI document at `GET /openapi.json` (in place of the gateway's own,
 * which createApp registers) and Swagger UI showing it at `/docs`. Upstream documents are fetched on
 * first request; an upstream that is down is left out, named in `x-missing-upstreams`, and asked
 * again on the next request.
 */
export async function registerApiDocs(app: App, options: { upstreamDocuments: UpstreamDocuments; info: MergeOptions }): Promise<void> {
  let own: OpenApiDocument | undefined;
  const mergedDocument = async (): Promise<OpenApiDocument> =>
    mergeOpenApiDocuments((own ??= ownDocument(app)), await options.upstreamDocuments.current(), options.info);

  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.url !== '/openapi.json' || request.method !== 'GET') return;
    const document = await mergedDocument();
    return reply.header('cache-control', 'no-cache').send(document);
  });

  const forRequest = new WeakMap<FastifyRequest, OpenApiDocument>();
  await app.register(async (scope: App) => {
    // The reader's pages and the document they show are for anyone, like `/openapi.json`.
    scope.addHook('onRoute', (route) => {
      route.config = { ...route.config, public: true };
    });
    await scope.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { deepLinking: true, persistAuthorization: true },
    transformSpecificationClone: false,
    transformSpecification: (fallback, request) => forRequest.get(request) ?? fallback,
    uiHooks: {
      preHandler: (request, _reply, done) => {
        const route = request.routeOptions.url ?? '';
        if (!route.endsWith('/json') && !route.endsWith('/yaml')) return done();
        mergedDocument().then(
          (document) => {
            forRequest.set(request, document);
            done();
          },
          (error: unknown) => done(error as Error),
        );
      },
    },
  });
  });
}
