import type { Insertable, Selectable } from 'kysely';
import type { SalesDb } from '../db/tables';
import type { PipelineTables, SalesChannel } from './pipeline.tables';

export type PipelineRow = Selectable<PipelineTables['pipeline']>;
export type StageRow = Selectable<PipelineTables['pipeline_stage']>;

/** Every statement on pipelines and their stages. */
export const pipelineRepository = Object.freeze({
  async insert(db: SalesDb, row: Insertable<PipelineTables['pipeline']>) {
    return db.insertInto('pipeline').values(row).returningAll().executeTakeFirstOrThrow();
  },

  async find(db: SalesDb, id: string, options: { forUpdate?: boolean } = {}) {
    let query = db.selectFrom('pipeline').selectAll().where('id', '=', id);
    if (options.forUpdate) query = query.forUpdate();
    return query.executeTakeFirst();
  },

  async defaultOf(db: SalesDb, channel: SalesChannel) {
    return db.selectFrom('pipeline').selectAll().where('channel', '=', channel).where('is_default', '=', true).executeTakeFirst();
  },

  async list(db: SalesDb, filter: { channel?: SalesChannel; after?: string; limit: number }) {
    let query = db.selectFrom('pipeline').selectAll().orderBy('id').limit(filter.limit);
    if (filter.channel) query = query.where('channel', '=', filter.channel);
    if (filter.after) query = query.where('id', '>', filter.after);
    return query.execute();
  },

  /** The channel's default stops being it (before another becomes it: one default per channel). */
  async clearDefault(db: SalesDb, channel: SalesChannel, at: Date) {
    return db
      .updateTable('pipeline')
      .set((eb) => ({ is_default: false, updated_at: at, version: eb('version', '+', 1) }))
      .where('channel', '=', channel)
      .where('is_default', '=', true)
      .returningAll()
      .execute();
  },

  async update(db: SalesDb, id: string, changes: { name?: string; isDefault?: boolean; at: Date }) {
    return db
      .updateTable('pipeline')
      .set((eb) => ({
        ...(changes.name !== undefined ? { name: changes.name } : {}),
        ...(changes.isDefault !== undefined ? { is_default: changes.isDefault } : {}),
        updated_at: changes.at,
        version: eb('version', '+', 1),
      }))
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  async stagesOf(db: SalesDb, pipelineIds: readonly string[]) {
    if (pipelineIds.length === 0) return [];
    return db.selectFrom('pipeline_stage').selectAll().where('pipeline_id', 'in', [...pipelineIds]).orderBy('pipeline_id').orderBy('position').execute();
  },

  /** Replaces the stages: kept keys are updated in place (opportunities reference them), others go, new ones come. */
  async replaceStages(db: SalesDb, pipelineId: string, stages: readonly StageRow[]) {
    const keys = stages.map((s) => s.key);
    await db.deleteFrom('pipeline_stage').where('pipeline_id', '=', pipelineId).where('key', 'not in', keys).execute();
    await db
      .insertInto('pipeline_stage')
      .values([...stages])
      .onConflict((oc) =>
        oc.columns(['pipeline_id', 'key']).doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          position: eb.ref('excluded.position'),
          probability: eb.ref('excluded.probability'),
          forecast_category: eb.ref('excluded.forecast_category'),
        })),
      )
      .execute();
  },

  /** Stage keys among `keys` that open opportunities of the pipeline are in. */
  async occupiedStages(db: SalesDb, pipelineId: string, keys: readonly string[]): Promise<string[]> {
    if (keys.length === 0) return [];
    const rows = await db.selectFrom('opportunity').select('stage_key').distinct().where('pipeline_id', '=', pipelineId).where('stage_key', 'in', [...keys]).execute();
    return rows.map((row) => row.stage_key);
  },
});
