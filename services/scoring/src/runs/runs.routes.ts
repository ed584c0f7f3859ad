import { problem, problemResponses, Problems, type App } from '@crm/platform';
import { access } from '../access';
import type { RunService } from './runs.service';
import { RunList, RunListQuery, RunParams, ScoringRun, StartRunBody } from './runs.schemas';

const tags = ['runs'];

export function runRoutes(app: App, runs: RunService): void {
  app.post(
    '/v1/scoring/runs',
    {
      config: { access: access.administer },
      schema: {
        operationId: 'startScoringRun',
        tags,
        summary: 'Start a full scoring run (scores, then tiers, then segments) in the background',
        description:
          '202 with the run; poll `GET /v1/scoring/runs/{id}` (Location). One run at a time: while one is queued or running, ' +
          'a POST answers 409 problem+json with `runId` (and Location) of the active run, which the caller can poll instead.',
        body: StartRunBody,
        response: { 202: ScoringRun, ...problemResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const { started, run } = await runs.start(request.principal);
      reply.header('location', `/v1/scoring/runs/${run.id}`);
      if (!started) throw problem(Problems.conflict, `scoring run ${run.id} is ${run.status}; poll it instead of starting another`, { runId: run.id });
      return reply.code(202).send(run);
    },
  );

  app.get(
    '/v1/scoring/runs',
    {
      config: { access: access.administer },
      schema: {
        operationId: 'listScoringRuns',
        tags,
        summary: 'The latest scoring runs, newest first',
        querystring: RunListQuery,
        response: { 200: RunList, ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => ({ items: await runs.list(request.query.limit) }),
  );

  app.get(
    '/v1/scoring/runs/:id',
    {
      config: { access: access.administer },
      schema: { operationId: 'getScoringRun', tags, summary: 'A scoring run: status, step, customers scored, timestamps', params: RunParams, response: { 200: ScoringRun, ...problemResponses(400, 401, 403, 404) } },
    },
    async (request) => runs.get(request.params.id),
  );
}
