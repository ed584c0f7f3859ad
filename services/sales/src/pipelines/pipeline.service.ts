import { SalesOpportunityEvents } from '@crm/domain';
import { decodeCursor, paginate, problem, Problems, requireIfMatch, type Outbox, type Runtime } from '@crm/platform';
import { z } from 'zod';
import type { SalesDb } from '../db/tables';
import { SalesProblems } from '../sales.problems';
import { pipelineRepository, type PipelineRow, type StageRow } from './pipeline.repository';
import type { NewPipeline, Pipeline, PipelineChanges, PipelineListQuery } from './pipeline.schemas';
import type { SalesChannel } from './pipeline.tables';

const pipelineOf = (row: PipelineRow, stages: StageRow[]): Pipeline => ({
  id: row.id,
  name: row.name,
  channel: row.channel,
  isDefault: row.is_default,
  stages: stages
    .filter((stage) => stage.pipeline_id === row.id)
    .map((stage) => ({ key: stage.key, name: stage.name, position: stage.position, kind: stage.kind, probability: stage.probability, forecastCategory: stage.forecast_category })),
  version: row.version,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

/** The open stages as given, then the terminal ones every pipeline has. */
const stageRowsOf = (pipelineId: string, stages: NewPipeline['stages']): StageRow[] => [
  ...stages.map((stage, index) => ({ pipeline_id: pipelineId, key: stage.key, name: stage.name, position: index + 1, kind: 'open' as const, probability: stage.probability, forecast_category: stage.forecastCategory })),
  { pipeline_id: pipelineId, key: 'won', name: 'Won', position: stages.length + 1, kind: 'won', probability: 100, forecast_category: 'closed' },
  { pipeline_id: pipelineId, key: 'lost', name: 'Lost', position: stages.length + 2, kind: 'lost', probability: 0, forecast_category: 'omitted' },
];

const IdCursor = z.object({ id: z.uuid() });

/** Pipelines per sales channel with ordered stages (admin-managed); one default per channel. */
export function createPipelineService(deps: { db: SalesDb; runtime: Runtime; outbox: Outbox; write: <T>(work: (trx: SalesDb) => Promise<T>) => Promise<T> }) {
  const { db, runtime, outbox } = deps;
  const withStages = async (executor: SalesDb, row: PipelineRow) => pipelineOf(row, await pipelineRepository.stagesOf(executor, [row.id]));
  const announce = async (trx: SalesDb, pipeline: Pipeline) =>
    outbox.append(trx, SalesOpportunityEvents.pipelineChanged, {
      pipelineId: pipeline.id,
      channel: pipeline.channel,
      isDefault: pipeline.isDefault,
      stages: pipeline.stages.map((s) => s.key),
      version: pipeline.version,
      changedAt: pipeline.updatedAt,
    });
  /** The channel's default stops being it, and says so. */
  const demoteDefault = async (trx: SalesDb, channel: SalesChannel, at: Date) => {
    for (const demoted of await pipelineRepository.clearDefault(trx, channel, at)) await announce(trx, await withStages(trx, demoted));
  };

  return Object.freeze({
    async create(input: NewPipeline): Promise<Pipeline> {
      return deps.write(async (trx) => {
        const at = runtime.now();
        const isDefault = input.isDefault || !(await pipelineRepository.defaultOf(trx, input.channel));
        if (isDefault) await demoteDefault(trx, input.channel, at);
        const row = await pipelineRepository.insert(trx, { id: runtime.newId(), name: input.name, channel: input.channel, is_default: isDefault, created_at: at, updated_at: at });
        await pipelineRepository.replaceStages(trx, row.id, stageRowsOf(row.id, input.stages));
        const pipeline = await withStages(trx, row);
        await announce(trx, pipeline);
        return pipeline;
      });
    },

    async get(id: string): Promise<Pipeline> {
      const row = await pipelineRepository.find(db, id);
      if (!row) throw problem(Problems.notFound, `pipeline ${id} does not exist`);
      return withStages(db, row);
    },

    async list(query: PipelineListQuery) {
      const after = decodeCursor(query.cursor, IdCursor);
      const rows = await pipelineRepository.list(db, { channel: query.channel, after: after?.id, limit: query.limit + 1 });
      const stages = await pipelineRepository.stagesOf(db, rows.map((row) => row.id));
      return paginate(rows, query.limit, (row) => pipelineOf(row, stages), (row) => ({ id: row.id }));
    },

    async update(id: string, changes: PipelineChanges, ifMatch: string | undefined): Promise<Pipeline> {
      return deps.write(async (trx) => {
        const current = await pipelineRepository.find(trx, id, { forUpdate: true });
        if (!current) throw problem(Problems.notFound, `pipeline ${id} does not exist`);
        requireIfMatch(ifMatch, current.version);
        const at = runtime.now();
        if (changes.stages) {
          const kept = new Set(changes.stages.map((s) => s.key));
          const dropped = (await pipelineRepository.stagesOf(trx, [id])).filter((s) => s.kind === 'open' && !kept.has(s.key)).map((s) => s.key);
          const occupied = await pipelineRepository.occupiedStages(trx, id, dropped);
          if (occupied.length > 0) throw problem(SalesProblems.ruleViolation, `stages: opportunities are in ${occupied.join(', ')}: move them before dropping the stage`);
          await pipelineRepository.replaceStages(trx, id, stageRowsOf(id, changes.stages));
        }
        if (changes.isDefault && !current.is_default) await demoteDefault(trx, current.channel, at);
        const row = await pipelineRepository.update(trx, id, { name: changes.name, isDefault: changes.isDefault, at });
        const pipeline = await withStages(trx, row);
        await announce(trx, pipeline);
        return pipeline;
      });
    },

    /** The pipeline with its stages, for opportunities (undefined when it does not exist). */
    async find(executor: SalesDb, id: string): Promise<Pipeline | undefined> {
      const row = await pipelineRepository.find(executor, id);
      return row ? withStages(executor, row) : undefined;
    },

    async defaultOf(executor: SalesDb, channel: SalesChannel): Promise<Pipeline | undefined> {
      const row = await pipelineRepository.defaultOf(executor, channel);
      return row ? withStages(executor, row) : undefined;
    },
  });
}
export type PipelineService = ReturnType<typeof createPipelineService>;
