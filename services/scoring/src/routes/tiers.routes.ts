import { SafeDateTime, SafeText } from '@crm/domain';
import { decodeCursor, documentedAs, etagOf, IfMatchHeaders, PageQuery, pageOf, paginate, problem, problemResponses, Problems, type App } from '@crm/platform';
import { z } from 'zod';
import { access } from '../access';
import { TIER_FIELDS } from '../domain/rules';
import { refreshSegments } from '../domain/segments/segment-membership.service';
import { assignTiers } from '../domain/tiers/tier-assignment.service';
import { removeTierOverride, setTierOverride } from '../domain/tiers/tier-override.service';
import { loadTierSet, replaceTierSet, type TierSet } from '../domain/tiers/tier-set.repository';
import { survivorLocation } from './merged-customer';
import type { ScoringRouteContext } from './route-context';

const tags = ['tiers'];

const Tier = z
  .object({
    name: z.string(),
    rank: z.number().int().describe('1 = top tier'),
    rule: z
      .object({ field: z.string(), min: z.number().optional(), max: z.number().optional() })
      .describe(`min ≤ value < max over one numeric score field shared by the set (${TIER_FIELDS.join(', ')}); the top tier has no max, the lowest no min`),
  })
  .meta({ id: 'Tier' });
const TierList = z.object({ items: z.array(Tier) }).meta({ id: 'TierSet' });

const TierOverride = z
  .object({
    customerId: z.uuid(),
    tier: z.string(),
    reason: z.string(),
    expiresAt: z.string().nullable(),
    createdBy: z.string(),
    createdAt: z.string(),
    currentTier: z.string().nullable(),
  })
  .meta({ id: 'TierOverride' });

const TierHistoryEntry = z
  .object({
    from: z.string().nullable(),
    to: z.string(),
    reason: z.string().describe('rules, override, override-expired or grace-period-ended'),
    changedAt: z.string(),
  })
  .meta({ id: 'TierHistoryEntry' });

const listOf = (set: TierSet) => ({ items: set.tiers.map(({ name, rank, rule }) => ({ name, rank, rule })) });

export function tierRoutes(app: App, context: ScoringRouteContext): void {
  const tierContext = { outbox: context.outbox, runtime: context.runtime };

  app.get(
    '/v1/tiers',
    { config: { access: access.read }, schema: { operationId: 'getTierSet', tags, summary: 'The tier set, top tier first; the ETag names the whole set', response: { 200: TierList, ...problemResponses(401, 403) } } },
    async (request, reply) => {
      // The first read seeds the default set (VIP, Gold, Silver, Bronze, Regular) when there is none.
      const set = await loadTierSet(context.db);
      return reply.header('etag', etagOf(set.version)).send(listOf(set));
    },
  );

  app.put(
    '/v1/tiers',
    { config: { access: access.administer },
      schema: {
        operationId: 'replaceTierSet',
        tags,
        summary: 'Replace the whole tier set (admin; If-Match with the set’s ETag)',
        description:
          'The tiers must partition every value of one score field: ranks rise with the values, adjacent ranges meet exactly (a tier’s max is the min of the tier ranked above). ' +
          'Overlaps, gaps and unknown fields → 422 `invalid-tier-set` with every problem and its path; nothing is written. ' +
          'Tiers that segment rules or manual overrides name cannot be removed (409). The new set applies at once: every customer is re-tiered in the same transaction (a `tier-changed` event per change, the downgrade grace period as usual) and segments follow.',
        headers: IfMatchHeaders,
        // Checked by replaceTierSet, which answers 422 `invalid-tier-set` with every problem and its path.
        body: z.strictObject({ items: z.array(documentedAs(Tier)) }),
        response: { 200: TierList, ...problemResponses(400, 401, 403, 409, 412, 422, 428) },
      },
    },
    async (request, reply) => {
      const set = await context.write(async (trx) => {
        const replaced = await replaceTierSet(trx, request.body.items, request.headers['if-match']);
        // Set-based over the whole base; readers never see a tier set without the assignment it makes.
        await assignTiers(trx, { ...tierContext, graceDays: context.config.SCORING_TIER_GRACE_DAYS });
        await refreshSegments(trx, tierContext);
        return replaced;
      });
      return reply.header('etag', etagOf(set.version)).send(listOf(set));
    },
  );

  app.put(
    '/v1/customers/:id/tier-override',
    { config: { access: access.overrideTiers },
      schema: {
        operationId: 'setTierOverride',
        tags,
        summary: 'Set a customer’s tier by hand (admin, sales); applies at once and wins over the rules until it expires',
        params: z.object({ id: z.uuid() }),
        body: z.strictObject({
          tier: SafeText.min(1).max(50),
          reason: SafeText.trim().min(1).max(500),
          expiresAt: SafeDateTime.optional().describe('When the override ends; the next tier assignment then reverts to the rule tier'),
        }),
        response: { 200: TierOverride, 308: z.null(), ...problemResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      const moved = await survivorLocation(context.db, request.principal, request.params.id, request.url);
      if (moved) return reply.redirect(moved, 308);
      return context.write((trx) =>
        setTierOverride(trx, tierContext, { customerId: request.params.id, ...request.body, createdBy: request.principal.subject }),
      );
    },
  );

  app.delete(
    '/v1/customers/:id/tier-override',
    { config: { access: access.overrideTiers },
      schema: {
        operationId: 'removeTierOverride',
        tags,
        summary: 'End a customer’s tier override now: the tier reverts to the rule tier at once',
        params: z.object({ id: z.uuid() }),
        response: { 204: z.null(), 308: z.null(), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const moved = await survivorLocation(context.db, request.principal, request.params.id, request.url);
      if (moved) return reply.redirect(moved, 308);
      await context.write((trx) => removeTierOverride(trx, tierContext, request.params.id));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/customers/:id/tier-history',
    { config: { access: access.read },
      schema: {
        operationId: 'listTierHistory',
        tags,
        summary: 'A customer’s tier changes, newest first; a dealer sees only its own customers',
        params: z.object({ id: z.uuid() }),
        querystring: PageQuery,
        response: { 200: pageOf(TierHistoryEntry), 308: z.null(), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const moved = await survivorLocation(context.db, request.principal, request.params.id, request.url);
      if (moved) return reply.redirect(moved, 308);
      if (request.principal.kind === 'dealer') {
        const customer = await context.db.selectFrom('customer').select('dealer_id').where('id', '=', request.params.id).executeTakeFirst();
        if (customer?.dealer_id !== request.principal.dealerId) throw problem(Problems.notFound, `customer ${request.params.id} does not exist`);
      }
      const after = decodeCursor(request.query.cursor, z.object({ id: z.string().regex(/^\d{1,19}$/) }));
      let query = context.db.selectFrom('tier_history').selectAll().where('customer_id', '=', request.params.id);
      if (after) query = query.where('id', '<', after.id);
      const rows = await query.orderBy('id', 'desc').limit(request.query.limit + 1).execute();
      return paginate(
        rows,
        request.query.limit,
        (row) => ({ from: row.from_tier, to: row.to_tier, reason: row.reason, changedAt: new Date(row.changed_at).toISOString() }),
        (row) => ({ id: String(row.id) }),
      );
    },
  );
}
