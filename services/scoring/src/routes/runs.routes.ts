import { problem, problemResponses, Problems, type App } from '@crm/platform';
import { z } from 'zod';
import { access } from '../access';
import { startRun, type RunRow } from '../domain/scores';
import type { ScoringRouteContext } from './route-context';

const tags = ['runs'];

const ScoringRun = z
  .object({
    id: z.uuid(),
    status: z.enum(['queued', 'running', 'succeeded', 'failed', 'interrupted']).describe('interrupted: its process stopped before it finished (found by its stale heartbeat)'),
    trigger: z.string(),
    step: z.enum(['scores', 'tiers', 'segments']).nullable().describe('what a running run is doing: scores → tiers → segments'),
    customersScored: z.number().int(),
    error: z.string().nullable(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'ScoringRun' });

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());
const view = (run: RunRow): z.infer<typeof ScoringRun> => ({
  id: run.id,
  status: run.status,
  trigger: run.trigger,
  step: run.step as z.infer<typeof ScoringRun>['step'],
  customersScored: run.customers_scored,
  error: run.error,
  createdAt: new Date(run.created_at).toISOString(),
  startedAt: iso(run.started_at),
  finishedAt: iso(run.finished_at),
});

export function runRoutes(app: App, context: ScoringRouteContext): void {
  app.post(
    '/v1/scoring/runs',
    { config: { access: access.administer },
      schema: {
        operationId: 'startScoringRun',
        tags,
        summary: 'Start a full scoring run (scores, then tiers, then segments) in the background',
        description:
          '202 with the run; poll `GET /v1/scoring/runs/{id}` (Location). One run at a time: while one is queued or running, ' +
          'a POST answers 409 problem+json with `runId` (and Location) of the active run, which the caller can poll instead.',
        body: z.strictObject({}).nullish().describe('no body, or {}'),
        response: { 202: ScoringRun, ...problemResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const { started, run } = await startRun(context, `manual:${request.principal.subject}`);
      if (!started) {
        reply.header('location', `/v1/scoring/runs/${run.id}`);
        throw problem(Problems.conflict, `scoring run ${run.id} is ${run.status}; poll it instead of starting another`, { runId: run.id });
      }
      return reply.code(202).header('location', `/v1/scoring/runs/${run.id}`).send(view(run));
    },
  );

  app.get(
    '/v1/scoring/runs',
    { config: { access: access.administer },
      schema: {
        operationId: 'listScoringRuns',
        tags,
        summary: 'The latest scoring runs, newest first',
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(200).default(20) }),
        response: { 200: z.object({ items: z.array(ScoringRun) }), ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const rows = await context.db.selectFrom('scoring_run').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(request.query.limit).execute();
      return { items: rows.map(view) };
    },
  );

  app.get(
    '/v1/scoring/runs/:id',
    { config: { access: access.administer }, schema: { operationId: 'getScoringRun', tags, summary: 'A scoring run: status, step, customers scored, timestamps', params: z.object({ id: z.uuid() }), response: { 200: ScoringRun, ...problemResponses(400, 401, 403, 404) } } },
    async (request) => {
      const run = await context.db.selectFrom('scoring_run').selectAll().where('id', '=', request.params.id).executeTakeFirst();
      if (!run) throw problem(Problems.notFound, `scoring run ${request.params.id} does not exist`);
      return view(run);
    },
  );
}
