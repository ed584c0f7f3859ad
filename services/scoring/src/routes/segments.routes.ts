import { SafeJson, SafeText } from '@crm/domain';
import {
  decodeCursor,
  documentedAs,
  etagOf,
  IdempotencyKeyHeader,
  idempotencyScope,
  IfMatchHeaders,
  onceForKey,
  PageQuery,
  pageOf,
  paginate,
  problem,
  problemResponses,
  Problems,
  requestHash,
  requireIfMatch,
  type App,
} from '@crm/platform';
import { sql, type Selectable } from 'kysely';
import { z } from 'zod';
import type { ScoringDb } from '../db/scoring.repository';
import type { SegmentTable } from '../db/tables';
import { assertRule, SegmentRule, selectMembers, type Rule } from '../domain/rules';
import { emptySegment, refreshSegments } from '../domain/segments/segment-membership.service';
import { loadTierSet } from '../domain/tiers/tier-set.repository';
import type { ScoringRouteContext } from './route-context';
import { access } from '../access';

const tags = ['segments'];
const PREVIEW_SAMPLE = 20;

const Segment = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    rule: documentedAs(SegmentRule, 'output'),
    memberCount: z.number().int(),
    evaluatedAt: z.string().nullable(),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Segment' });
type Segment = z.infer<typeof Segment>;

const SegmentMember = z.object({ customerId: z.uuid(), enteredAt: z.string() }).meta({ id: 'SegmentMember' });
const Name = SafeText.trim().min(1).max(200);
const Description = SafeText.max(2000).nullable();
/** Checked by `assertRule`, which answers 422 `invalid-rule` with every error path and reason; only storable text passes here. */
const RuleInput = documentedAs(SegmentRule, 'input', SafeJson);

type SegmentRow = Selectable<SegmentTable>;
const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());
const segmentOf = (row: SegmentRow): Segment => ({
  id: row.id,
  name: row.name,
  description: row.description,
  rule: row.rule,
  memberCount: row.member_count,
  evaluatedAt: iso(row.evaluated_at),
  version: row.version,
  createdAt: iso(row.created_at) as string,
  updatedAt: iso(row.updated_at) as string,
});

/** Validates a rule against the current tier names; 422 `invalid-rule` listing every error path. */
async function checkedRule(db: ScoringDb, rule: unknown, path: string): Promise<Rule> {
  const tiers = (await loadTierSet(db)).tiers.map((tier) => tier.name);
  return assertRule(rule, { tiers, path });
}

const nameTaken = (name: string) => problem(Problems.conflict, `a segment named "${name}" exists already`);

export function segmentRoutes(app: App, context: ScoringRouteContext): void {
  const segmentContext = { outbox: context.outbox, runtime: context.runtime };
  const findSegment = async (db: ScoringDb, id: string, lock = false) => {
    const query = db.selectFrom('segment').selectAll().where('id', '=', id);
    const row = await (lock ? query.forUpdate() : query).executeTakeFirst();
    if (!row) throw problem(Problems.notFound, `segment ${id} does not exist`);
    return row;
  };

  app.post(
    '/v1/segments',
    { config: { access: access.manageSegments },
      schema: {
        operationId: 'createSegment',
        tags,
        summary: 'Create a segment (admin, marketing); its members are materialised at once',
        headers: z.object({ 'idempotency-key': IdempotencyKeyHeader }),
        body: z.strictObject({ name: Name, description: Description.optional(), rule: RuleInput }),
        response: { 201: Segment, ...problemResponses(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const { name, description, rule } = request.body;
      const stored = await context.write((trx) =>
        onceForKey(trx, { scope: idempotencyScope('segments.create', request.principal), key: request.headers['idempotency-key'], hash: requestHash(request.body) }, async () => {
          const checked = await checkedRule(trx, rule, 'body.rule');
          const now = context.runtime.now().toISOString();
          const id = context.runtime.newId();
          const created = await trx
            .insertInto('segment')
            .values({ id, name, description: description ?? null, rule: JSON.stringify(checked), created_at: now, updated_at: now })
            .onConflict((oc) => oc.column('name').doNothing())
            .returning('id')
            .executeTakeFirst();
          if (!created) throw nameTaken(name);
          await refreshSegments(trx, segmentContext, { segmentIds: [id] });
          return { statusCode: 201, body: segmentOf(await findSegment(trx, id)) };
        }),
      );
      const segment = stored.body as Segment;
      return reply.code(201).header('location', `/v1/segments/${segment.id}`).header('etag', etagOf(segment.version)).send(segment);
    },
  );

  app.get(
    '/v1/segments',
    { config: { access: access.readSegments }, schema: { operationId: 'listSegments', tags, summary: 'Segments, oldest first', querystring: PageQuery, response: { 200: pageOf(Segment), ...problemResponses(400, 401, 403) } } },
    async (request) => {
      const after = decodeCursor(request.query.cursor, z.object({ id: z.uuid() }));
      let query = context.db.selectFrom('segment').selectAll();
      if (after) query = query.where('id', '>', after.id);
      const rows = await query.orderBy('id').limit(request.query.limit + 1).execute();
      return paginate(rows, request.query.limit, segmentOf, (row) => ({ id: row.id }));
    },
  );

  app.post(
    '/v1/segments/preview',
    { config: { access: access.manageSegments },
      schema: {
        operationId: 'previewSegment',
        tags,
        summary: 'How many customers a rule selects now, and the first of them, without saving anything',
        body: z.strictObject({ rule: RuleInput }),
        response: { 200: z.object({ count: z.number().int(), sample: z.array(z.uuid()).describe(`the first ${PREVIEW_SAMPLE} customer ids`) }), ...problemResponses(400, 401, 403, 422) },
      },
    },
    async (request) => {
      const rule = await checkedRule(context.db, request.body.rule, 'body.rule');
      const tiers = (await loadTierSet(context.db)).tiers.map((tier) => tier.name);
      const members = selectMembers(rule, { now: context.runtime.now(), tiers });
      const [count, sample] = await Promise.all([
        sql<{ count: number }>`select cast(count(*) as integer) as count from (${members}) m`.execute(context.db),
        sql<{ customer_id: string }>`${members} limit ${PREVIEW_SAMPLE}`.execute(context.db),
      ]);
      return { count: count.rows[0]?.count ?? 0, sample: sample.rows.map((row) => row.customer_id) };
    },
  );

  app.get(
    '/v1/segments/:id',
    { config: { access: access.readSegments }, schema: { operationId: 'getSegment', tags, summary: 'A segment, with its ETag', params: z.object({ id: z.uuid() }), response: { 200: Segment, ...problemResponses(400, 401, 403, 404) } } },
    async (request, reply) => {
      const row = await findSegment(context.db, request.params.id);
      return reply.header('etag', etagOf(row.version)).send(segmentOf(row));
    },
  );

  app.patch(
    '/v1/segments/:id',
    { config: { access: access.manageSegments },
      schema: {
        operationId: 'updateSegment',
        tags,
        summary: 'Change a segment (If-Match required); a new rule re-materialises its members',
        params: z.object({ id: z.uuid() }),
        headers: IfMatchHeaders,
        body: z.strictObject({ name: Name.optional(), description: Description.optional(), rule: RuleInput.optional() }),
        response: { 200: Segment, ...problemResponses(400, 401, 403, 404, 409, 412, 422, 428) },
      },
    },
    async (request, reply) => {
      const { name, description, rule } = request.body;
      const row = await context.write(async (trx) => {
        const current = await findSegment(trx, request.params.id, true);
        requireIfMatch(request.headers['if-match'], current.version);
        const checked = rule === undefined ? undefined : await checkedRule(trx, rule, 'body.rule');
        if (name !== undefined && name !== current.name) {
          const taken = await trx.selectFrom('segment').select('id').where('name', '=', name).executeTakeFirst();
          if (taken) throw nameTaken(name);
        }
        await trx
          .updateTable('segment')
          .set({
            ...(name !== undefined ? { name } : {}),
            ...(description !== undefined ? { description } : {}),
            ...(checked !== undefined ? { rule: JSON.stringify(checked) } : {}),
            version: sql`version + 1`,
            updated_at: context.runtime.now().toISOString(),
          })
          .where('id', '=', current.id)
          .execute();
        if (checked !== undefined) await refreshSegments(trx, segmentContext, { segmentIds: [current.id] });
        return findSegment(trx, current.id);
      });
      return reply.header('etag', etagOf(row.version)).send(segmentOf(row));
    },
  );

  app.delete(
    '/v1/segments/:id',
    { config: { access: access.manageSegments },
      schema: {
        operationId: 'deleteSegment',
        tags,
        summary: 'Delete a segment; every member leaves (segment-left). If-Match is checked when sent',
        params: z.object({ id: z.uuid() }),
        headers: IfMatchHeaders,
        response: { 204: z.null(), ...problemResponses(400, 401, 403, 404, 412) },
      },
    },
    async (request, reply) => {
      await context.write(async (trx) => {
        const current = await findSegment(trx, request.params.id, true);
        if (request.headers['if-match'] !== undefined) requireIfMatch(request.headers['if-match'], current.version);
        await emptySegment(trx, segmentContext, current.id);
        await trx.deleteFrom('segment').where('id', '=', current.id).execute();
      });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/segments/:id/members',
    { config: { access: access.readSegments },
      schema: {
        operationId: 'listSegmentMembers',
        tags,
        summary: 'A segment’s current members, by customer id (staff and integrations, e.g. campaigns)',
        params: z.object({ id: z.uuid() }),
        querystring: PageQuery,
        response: { 200: pageOf(SegmentMember), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      await findSegment(context.db, request.params.id);
      const after = decodeCursor(request.query.cursor, z.object({ id: z.uuid() }));
      let query = context.db.selectFrom('segment_member').select(['customer_id', 'entered_at']).where('segment_id', '=', request.params.id);
      if (after) query = query.where('customer_id', '>', after.id);
      const rows = await query.orderBy('customer_id').limit(request.query.limit + 1).execute();
      return paginate(
        rows,
        request.query.limit,
        (row) => ({ customerId: row.customer_id, enteredAt: new Date(row.entered_at).toISOString() }),
        (row) => ({ id: row.customer_id }),
      );
    },
  );
}
