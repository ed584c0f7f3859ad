import { sql, type RawBuilder, type Selectable } from 'kysely';
import type { ScoringDb, SegmentTable } from '../db/tables';

export type SegmentRow = Selectable<SegmentTable>;

/** Every query on `segment` itself (membership: segment-membership.repository.ts). */
export const segmentsRepository = Object.freeze({
  /** The segment, locked for the rest of the transaction when `forUpdate`. */
  async find(db: ScoringDb, id: string, forUpdate = false): Promise<SegmentRow | undefined> {
    const query = db.selectFrom('segment').selectAll().where('id', '=', id);
    return (forUpdate ? query.forUpdate() : query).executeTakeFirst();
  },

  /** Inserts the segment unless its name is taken; false when it is. */
  async insertUnlessNameTaken(trx: ScoringDb, segment: { id: string; name: string; description: string | null; rule: unknown; at: string }): Promise<boolean> {
    const created = await trx
      .insertInto('segment')
      .values({ id: segment.id, name: segment.name, description: segment.description, rule: JSON.stringify(segment.rule), created_at: segment.at, updated_at: segment.at })
      .onConflict((oc) => oc.column('name').doNothing())
      .returning('id')
      .executeTakeFirst();
    return created !== undefined;
  },

  async isNameTaken(db: ScoringDb, name: string): Promise<boolean> {
    return (await db.selectFrom('segment').select('id').where('name', '=', name).executeTakeFirst()) !== undefined;
  },

  /** Changes what is given and bumps the version. */
  async update(trx: ScoringDb, id: string, changes: { name?: string; description?: string | null; rule?: unknown }, at: string): Promise<void> {
    await trx
      .updateTable('segment')
      .set({
        ...(changes.name !== undefined ? { name: changes.name } : {}),
        ...(changes.description !== undefined ? { description: changes.description } : {}),
        ...(changes.rule !== undefined ? { rule: JSON.stringify(changes.rule) } : {}),
        version: sql`version + 1`,
        updated_at: at,
      })
      .where('id', '=', id)
      .execute();
  },

  async delete(trx: ScoringDb, id: string): Promise<void> {
    await trx.deleteFrom('segment').where('id', '=', id).execute();
  },

  /** Oldest first (ids are time-ordered), after the id `afterId`. */
  async list(db: ScoringDb, afterId: string | undefined, limit: number): Promise<SegmentRow[]> {
    let query = db.selectFrom('segment').selectAll();
    if (afterId) query = query.where('id', '>', afterId);
    return query.orderBy('id').limit(limit).execute();
  },

  /** The rules of every segment (or of the ones given), in id order, locked: concurrent refreshes of a segment queue up. */
  async rulesForUpdate(trx: ScoringDb, segmentIds?: readonly string[]): Promise<{ id: string; rule: unknown }[]> {
    let query = trx.selectFrom('segment').select(['id', 'rule']).orderBy('id').forUpdate();
    if (segmentIds) query = query.where('id', 'in', [...segmentIds]);
    return query.execute();
  },

  /** Every segment's name and rule, by name. */
  async namedRules(db: ScoringDb): Promise<{ name: string; rule: unknown }[]> {
    return db.selectFrom('segment').select(['name', 'rule']).orderBy('name').execute();
  },

  /** How many customers `members` (a compiled rule's select) selects, and the first `sampleSize` of them. */
  async countAndSample(db: ScoringDb, members: RawBuilder<{ customer_id: string }>, sampleSize: number): Promise<{ count: number; sample: string[] }> {
    const [count, sample] = await Promise.all([
      sql<{ count: number }>`select cast(count(*) as integer) as count from (${members}) m`.execute(db),
      sql<{ customer_id: string }>`${members} limit ${sampleSize}`.execute(db),
    ]);
    return { count: count.rows[0]?.count ?? 0, sample: sample.rows.map((row) => row.customer_id) };
  },
});
