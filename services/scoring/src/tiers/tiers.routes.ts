import { etagOf, IfMatchHeaders, pageOf, problemResponses, type App } from '@crm/platform';
import { z } from 'zod';
import { access } from '../access';
import type { TierService } from './tiers.service';
import { CustomerParams, ReplaceTierSetBody, SetTierOverrideBody, TierHistoryEntry, TierHistoryQuery, TierList, TierOverride } from './tiers.schemas';

const tags = ['tiers'];

export function tierRoutes(app: App, tiers: TierService): void {
  app.get(
    '/v1/tiers',
    {
      config: { access: access.read },
      schema: { operationId: 'getTierSet', tags, summary: 'The tier set, top tier first; the ETag names the whole set', response: { 200: TierList, ...problemResponses(401, 403) } },
    },
    async (_request, reply) => {
      // The first read seeds the default set (VIP, Gold, Silver, Bronze, Regular) when there is none.
      const { version, list } = await tiers.getTierSet();
      return reply.header('etag', etagOf(version)).send(list);
    },
  );

  app.put(
    '/v1/tiers',
    {
      config: { access: access.administer },
      schema: {
        operationId: 'replaceTierSet',
        tags,
        summary: 'Replace the whole tier set (admin; If-Match with the set’s ETag)',
        description:
          'The tiers must partition every value of one score field: ranks rise with the values, adjacent ranges meet exactly (a tier’s max is the min of the tier ranked above). ' +
          'Overlaps, gaps and unknown fields → 422 `invalid-tier-set` with every problem and its path; nothing is written. ' +
          'Tiers that segment rules or manual overrides name cannot be removed (409). The new set applies at once: every customer is re-tiered in the same transaction (a `tier-changed` event per change, the downgrade grace period as usual) and segments follow.',
        headers: IfMatchHeaders,
        body: ReplaceTierSetBody,
        response: { 200: TierList, ...problemResponses(400, 401, 403, 409, 412, 422, 428) },
      },
    },
    async (request, reply) => {
      const { version, list } = await tiers.replaceTierSet(request.body.items, request.headers['if-match']);
      return reply.header('etag', etagOf(version)).send(list);
    },
  );

  app.put(
    '/v1/customers/:id/tier-override',
    {
      config: { access: access.overrideTiers },
      schema: {
        operationId: 'setTierOverride',
        tags,
        summary: 'Set a customer’s tier by hand (admin, sales); applies at once and wins over the rules until it expires',
        params: CustomerParams,
        body: SetTierOverrideBody,
        response: { 200: TierOverride, 308: z.null(), ...problemResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      const answer = await tiers.setOverride(request.principal, request.params.id, request.body, request.url);
      return 'moved' in answer ? reply.redirect(answer.moved, 308) : answer.value;
    },
  );

  app.delete(
    '/v1/customers/:id/tier-override',
    {
      config: { access: access.overrideTiers },
      schema: {
        operationId: 'removeTierOverride',
        tags,
        summary: 'End a customer’s tier override now: the tier reverts to the rule tier at once',
        params: CustomerParams,
        response: { 204: z.null(), 308: z.null(), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const answer = await tiers.removeOverride(request.principal, request.params.id, request.url);
      return 'moved' in answer ? reply.redirect(answer.moved, 308) : reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/customers/:id/tier-history',
    {
      config: { access: access.read },
      schema: {
        operationId: 'listTierHistory',
        tags,
        summary: 'A customer’s tier changes, newest first; a dealer sees only its own customers',
        params: CustomerParams,
        querystring: TierHistoryQuery,
        response: { 200: pageOf(TierHistoryEntry), 308: z.null(), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const answer = await tiers.history(request.principal, request.params.id, request.query, request.url);
      return 'moved' in answer ? reply.redirect(answer.moved, 308) : answer.value;
    },
  );
}
