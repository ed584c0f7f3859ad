import { SafeDate } from '@crm/domain';
import { problem, problemResponses, Problems, type App } from '@crm/platform';
import type { Selectable } from 'kysely';
import { z } from 'zod';
import type { ClvModelTable } from '../db/tables';
import { access } from '../access';
import { fitClvModel } from '../domain/scores';
import type { ScoringRouteContext } from './route-context';

const tags = ['models'];

const ClvModel = z
  .object({
    id: z.uuid(),
    version: z.number().int(),
    active: z.boolean(),
    calibrationEnd: z.string(),
    timeUnit: z.enum(['days', 'weeks']),
    bgNbd: z.object({ r: z.number(), alpha: z.number(), a: z.number(), b: z.number() }),
    gammaGamma: z.object({ p: z.number(), q: z.number(), gamma: z.number() }).nullable(),
    logLikelihood: z.number(),
    sampleSize: z.number().int(),
    fittedAt: z.string(),
  })
  .meta({ id: 'ClvModel' });

const view = (row: Selectable<ClvModelTable>): z.infer<typeof ClvModel> => ({
  id: row.id,
  version: row.version,
  active: row.active,
  calibrationEnd: String(row.calibration_end).slice(0, 10),
  timeUnit: row.time_unit,
  bgNbd: row.bg_nbd,
  gammaGamma: row.gamma_gamma,
  logLikelihood: row.log_likelihood,
  sampleSize: row.sample_size,
  fittedAt: new Date(row.fitted_at).toISOString(),
});

export function modelRoutes(app: App, context: ScoringRouteContext): void {
  app.post(
    '/v1/scoring/models/clv/fit',
    { config: { access: access.administer },
      schema: {
        operationId: 'fitClvModel',
        tags,
        summary: 'Fit a new CLV model version (BG/NBD + Gamma-Gamma) on the transactions up to calibrationEnd',
        description:
          'Calibration summaries per customer (x = distinct purchase days − 1, t_x, T in the time unit) over the sales up to and including ' +
          'calibrationEnd (a UTC calendar day); Gamma-Gamma on the customers with repeat purchases (mean of the repeat days\' totals). ' +
          'The new version is activated unless `activate` is false. 422 when calibrationEnd lies in the future or before any sale.',
        body: z.strictObject({ calibrationEnd: SafeDate, timeUnit: z.enum(['days', 'weeks']), activate: z.boolean().default(true) }),
        response: { 201: ClvModel, ...problemResponses(400, 401, 403, 422) },
      },
    },
    async (request, reply) => {
      const began = Date.now();
      request.log.info({ calibrationEnd: request.body.calibrationEnd }, 'CLV fit started');
      const row = await context.write((trx) => fitClvModel(trx, context.runtime, request.body));
      request.log.info({ modelVersion: row.version, sampleSize: row.sample_size, seconds: (Date.now() - began) / 1000 }, 'CLV fit finished');
      return reply.code(201).header('location', `/v1/scoring/models/clv/${row.version}`).send(view(row));
    },
  );

  app.get(
    '/v1/scoring/models/clv',
    { config: { access: access.read }, schema: { operationId: 'listClvModels', tags, summary: 'CLV model versions, newest first', response: { 200: z.object({ items: z.array(ClvModel) }), ...problemResponses(401, 403) } } },
    async (request) => {
      const rows = await context.db.selectFrom('clv_model').selectAll().orderBy('version', 'desc').execute();
      return { items: rows.map(view) };
    },
  );

  app.get(
    '/v1/scoring/models/clv/active',
    { config: { access: access.read }, schema: { operationId: 'getActiveClvModel', tags, summary: 'The CLV model predictions use', response: { 200: ClvModel, ...problemResponses(401, 403, 404) } } },
    async (request) => {
      const row = await context.db.selectFrom('clv_model').selectAll().where('active', '=', true).executeTakeFirst();
      if (!row) throw problem(Problems.notFound, 'no CLV model is active: fit one with POST /v1/scoring/models/clv/fit');
      return view(row);
    },
  );

  app.get(
    '/v1/scoring/models/clv/:version',
    { config: { access: access.read }, schema: { operationId: 'getClvModel', tags, summary: 'One CLV model version', params: z.object({ version: z.coerce.number().int().min(1) }), response: { 200: ClvModel, ...problemResponses(400, 401, 403, 404) } } },
    async (request) => {
      const row = await context.db.selectFrom('clv_model').selectAll().where('version', '=', request.params.version).executeTakeFirst();
      if (!row) throw problem(Problems.notFound, `CLV model version ${request.params.version} does not exist`);
      return view(row);
    },
  );
}
