import { anyPrincipal, problem, problemResponses, Problems, ProblemSchema, type App, type Runtime } from '@crm/platform';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GatewayProblems } from '../gateway.problems';
import { upstreamRequestHeaders } from '../proxy/upstream-proxy.plugin';
import type { Upstream } from '../proxy/upstreams';

export interface CustomerExportOptions {
  upstreams: Upstream[];
  internalSecret: string;
  timeoutMs: number;
  runtime: Runtime;
}

/** What the customers service may refuse an export with; passed on as it is. */
const REFUSALS = [400, 401, 403, 404, 410] as const;

/** The service that owns customers: it decides who may export whom (404, 410, 308 for a merged id). */
const AUTHORITY = 'customers';

const CustomerExport = z
  .object({
    exportedAt: z.iso.datetime(),
    customer: z.record(z.string(), z.unknown()).describe("The customers service's record: profile, identifiers, contacts, consent history, timeline"),
    services: z
      .record(z.string(), z.record(z.string(), z.unknown()))
      .describe('Every other service that holds data on the person, by service name (scoring: transactions, scores, tier history and override, segments)'),
  })
  .meta({ id: 'CustomerExport' });

interface UpstreamAnswer {
  status: number;
  location: string | null;
  body: unknown;
}

/**
 * `GET /v1/customers/{id}/export`, "everything held" (GDPR art. 15/20), composed here so services to come
 * join by declaring a `personalData` path in the routing table: the customers service first (it decides
 * access, 404/410, and answers its own section), then every other declaring upstream with the same signed
 * principal. One document, or a problem naming the service that failed: never a silently partial export.
 * Registered before the proxies, so it wins over the customers prefix.
 */
export function customerExportRoutes(app: App, options: CustomerExportOptions): void {
  const authority = options.upstreams.find((upstream) => upstream.name === AUTHORITY);
  if (!authority) throw new Error(`the routing table has no ${AUTHORITY} upstream`);
  const sections = options.upstreams.filter((upstream) => upstream !== authority && upstream.personalData !== undefined);

  const ask = async (request: FastifyRequest, upstream: Upstream, path: string): Promise<UpstreamAnswer> => {
    let response: Response;
    try {
      response = await fetch(`${upstream.url}${path}`, {
        // The caller's principal, signed for this call (a signature holds for one method and path), as the proxy signs it.
        headers: upstreamRequestHeaders(
          { principal: request.principal, id: request.id, traceparent: request.traceparent, ip: request.ip, protocol: request.protocol, host: request.host, method: 'GET', url: path },
          { accept: 'application/json' },
          options,
        ) as Record<string, string>,
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (error) {
      request.log.warn({ err: error, upstream: upstream.name }, 'export: upstream request failed');
      throw (error as Error).name === 'TimeoutError'
        ? problem(GatewayProblems.gatewayTimeout, `the ${upstream.name} service did not answer in time; no partial export is sent`, { upstream: upstream.name })
        : problem(Problems.unavailable, `the ${upstream.name} service could not be reached; no partial export is sent`, { upstream: upstream.name });
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = undefined;
    }
    return { status: response.status, location: response.headers.get('location'), body };
  };
  const failed = (upstream: Upstream, status: number) =>
    problem(Problems.badGateway, `the ${upstream.name} service answered ${status} for its part of the export; no partial export is sent`, { upstream: upstream.name });

  app.get(
    '/v1/customers/:id/export',
    {
      // Each service decides for its own part (the customers service first): the caller's principal goes along.
      config: { access: anyPrincipal },
      schema: {
        operationId: 'exportCustomer',
        tags: ['customers'],
        summary: 'Everything held on the customer, by every service (GDPR access request)',
        description:
          'One document: the customers service\'s record and, under `services`, each other service\'s data on the person. A merged id answers 308 to the survivor\'s export. ' +
          'When a service cannot deliver its part the answer is 502/503/504 problem+json naming it (`upstream`), never a partial export.',
        params: z.object({ id: z.uuid() }),
        response: { 200: CustomerExport, 308: z.null(), ...problemResponses(400, 401, 403, 404, 410, 502, 503, 504) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const customer = await ask(request, authority, `/v1/customers/${id}/export`);
      if (customer.status === 308 && customer.location) return reply.redirect(customer.location, 308);
      const refusal = ProblemSchema.safeParse(customer.body);
      const refusalStatus = REFUSALS.find((status) => status === customer.status);
      if (refusalStatus !== undefined && refusal.success) {
        // The customers service's refusal (invalid, forbidden, not found, erased) is the answer.
        return reply.code(refusalStatus).type('application/problem+json').send(refusal.data);
      }
      if (customer.status !== 200 || typeof customer.body !== 'object' || customer.body === null) throw failed(authority, customer.status);

      const parts = await Promise.all(
        sections.map(async (upstream) => {
          const answer = await ask(request, upstream, (upstream.personalData as string).replace(':id', id));
          if (answer.status !== 200 || typeof answer.body !== 'object' || answer.body === null) throw failed(upstream, answer.status);
          return [upstream.name, answer.body as Record<string, unknown>] as const;
        }),
      );
      return reply.header('cache-control', 'no-store').send({
        exportedAt: options.runtime.now().toISOString(),
        customer: customer.body as Record<string, unknown>,
        services: Object.fromEntries(parts),
      });
    },
  );
}
