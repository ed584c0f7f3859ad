import type { Principal } from '@crm/domain';
import { decodeCursor, idempotencyScope, onceForKey, paginate, problem, Problems, requestHash, requireIfMatch, type Outbox, type Runtime } from '@crm/platform';
import { z } from 'zod';
import type { ScoringDb } from '../db/tables';
import { loadTierSet } from '../tiers/tier-set.service';
import { assertRule, type Rule } from './rules';
import { emptySegment, refreshSegments, type SegmentContext } from './segment-membership.service';
import { segmentMembershipRepository } from './segment-membership.repository';
import { selectMembers } from './segment-rule.repository';
import { segmentsRepository, type SegmentRow } from './segments.repository';
import { PREVIEW_SAMPLE, type CreateSegmentBody, type Segment, type SegmentMember, type SegmentPageQuery, type SegmentPreview, type UpdateSegmentBody } from './segments.schemas';

type Page<T> = { items: T[]; nextCursor: string | null };

export interface SegmentService {
  /** Creates the segment and materialises its members at once; replayed for the same Idempotency-Key. */
  create(principal: Principal, input: CreateSegmentBody, idempotencyKey: string | undefined): Promise<Segment>;
  list(query: SegmentPageQuery): Promise<Page<Segment>>;
  /** How many customers a rule selects now, and the first of them; nothing is saved. */
  preview(rule: unknown): Promise<SegmentPreview>;
  get(id: string): Promise<Segment>;
  /** If-Match required; a new rule re-materialises the members. */
  update(id: string, input: UpdateSegmentBody, ifMatch: string | undefined): Promise<Segment>;
  /** Every member leaves first (segment-left); If-Match checked when sent. */
  delete(id: string, ifMatch: string | undefined): Promise<void>;
  members(id: string, query: SegmentPageQuery): Promise<Page<SegmentMember>>;
}

const IdCursor = z.object({ id: z.uuid() });
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

const nameTaken = (name: string) => problem(Problems.conflict, `a segment named "${name}" exists already`);

async function findSegment(db: ScoringDb, id: string, forUpdate = false): Promise<SegmentRow> {
  const row = await segmentsRepository.find(db, id, forUpdate);
  if (!row) throw problem(Problems.notFound, `segment ${id} does not exist`);
  return row;
}

/** The configured tier names, which a rule may compare `tier` with. */
const tierNames = async (db: ScoringDb) => (await loadTierSet(db)).tiers.map((tier) => tier.name);

/** Validates a rule against the current tier names; 422 `invalid-rule` listing every error path. */
async function checkedRule(db: ScoringDb, rule: unknown, path: string): Promise<Rule> {
  return assertRule(rule, { tiers: await tierNames(db), path });
}

export function createSegmentService(deps: {
  db: ScoringDb;
  outbox: Outbox;
  runtime: Runtime;
  write: <T>(work: (trx: ScoringDb) => Promise<T>) => Promise<T>;
}): SegmentService {
  const { db, runtime, write } = deps;
  const segmentContext: SegmentContext = { outbox: deps.outbox, runtime };

  return {
    async create(principal, input, idempotencyKey) {
      const { name, description, rule } = input;
      const stored = await write((trx) =>
        onceForKey(trx, { scope: idempotencyScope('segments.create', principal), key: idempotencyKey, hash: requestHash(input) }, async () => {
          const checked = await checkedRule(trx, rule, 'body.rule');
          const id = runtime.newId();
          const created = await segmentsRepository.insertUnlessNameTaken(trx, { id, name, description: description ?? null, rule: checked, at: runtime.now().toISOString() });
          if (!created) throw nameTaken(name);
          await refreshSegments(trx, segmentContext, { segmentIds: [id] });
          return { statusCode: 201, body: segmentOf(await findSegment(trx, id)) };
        }),
      );
      return stored.body as Segment;
    },

    async list(query) {
      const after = decodeCursor(query.cursor, IdCursor);
      const rows = await segmentsRepository.list(db, after?.id, query.limit + 1);
      return paginate(rows, query.limit, segmentOf, (row) => ({ id: row.id }));
    },

    async preview(input) {
      const rule = await checkedRule(db, input, 'body.rule');
      const members = selectMembers(rule, { now: runtime.now(), tiers: await tierNames(db) });
      return segmentsRepository.countAndSample(db, members, PREVIEW_SAMPLE);
    },

    async get(id) {
      return segmentOf(await findSegment(db, id));
    },

    async update(id, { name, description, rule }, ifMatch) {
      const row = await write(async (trx) => {
        const current = await findSegment(trx, id, true);
        requireIfMatch(ifMatch, current.version);
        const checked = rule === undefined ? undefined : await checkedRule(trx, rule, 'body.rule');
        if (name !== undefined && name !== current.name && (await segmentsRepository.isNameTaken(trx, name))) throw nameTaken(name);
        await segmentsRepository.update(
          trx,
          current.id,
          { ...(name !== undefined ? { name } : {}), ...(description !== undefined ? { description } : {}), ...(checked !== undefined ? { rule: checked } : {}) },
          runtime.now().toISOString(),
        );
        if (checked !== undefined) await refreshSegments(trx, segmentContext, { segmentIds: [current.id] });
        return findSegment(trx, current.id);
      });
      return segmentOf(row);
    },

    async delete(id, ifMatch) {
      await write(async (trx) => {
        const current = await findSegment(trx, id, true);
        if (ifMatch !== undefined) requireIfMatch(ifMatch, current.version);
        await emptySegment(trx, segmentContext, current.id);
        await segmentsRepository.delete(trx, current.id);
      });
    },

    async members(id, query) {
      await findSegment(db, id);
      const after = decodeCursor(query.cursor, IdCursor);
      const rows = await segmentMembershipRepository.page(db, id, after?.id, query.limit + 1);
      return paginate(
        rows,
        query.limit,
        (row) => ({ customerId: row.customer_id, enteredAt: new Date(row.entered_at).toISOString() }),
        (row) => ({ id: row.customer_id }),
      );
    },
  };
}
