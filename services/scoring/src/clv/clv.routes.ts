import { problemResponses, type App } from '@crm/platform';
import { access } from '../access';
import type { ClvModelService } from './clv.service';
import { ClvModel, ClvModelList, ClvModelVersionParams, FitClvModelBody } from './clv.schemas';

const tags = ['models'];

export function clvModelRoutes(app: App, models: ClvModelService): void {
  app.post(
    '/v1/scoring/models/clv/fit',
    {
      config: { access: access.administer },
      schema: {
        operationId: 'fitClvModel',
        tags,
        summary: 'Fit a new CLV model version (BG/NBD + Gamma-Gamma) on the transactions up to calibrationEnd',
        description:
          'Calibration summaries per customer (x = distinct purchase days − 1, t_x, T in the time unit) over the sales up to and including ' +
          'calibrationEnd (a UTC calendar day); Gamma-Gamma on the customers with repeat purchases (mean of the repeat days\' totals). ' +
          'The new version is activated unless `activate` is false. 422 when calibrationEnd lies in the future or before any sale.',
        body: FitClvModelBody,
        response: { 201: ClvModel, ...problemResponses(400, 401, 403, 422) },
      },
    },
    async (request, reply) => {
      const model = await models.fit(request.body, request.log);
      return reply.code(201).header('location', `/v1/scoring/models/clv/${model.version}`).send(model);
    },
  );

  app.get(
    '/v1/scoring/models/clv',
    {
      config: { access: access.read },
      schema: { operationId: 'listClvModels', tags, summary: 'CLV model versions, newest first', response: { 200: ClvModelList, ...problemResponses(401, 403) } },
    },
    async () => ({ items: await models.list() }),
  );

  app.get(
    '/v1/scoring/models/clv/active',
    {
      config: { access: access.read },
      schema: { operationId: 'getActiveClvModel', tags, summary: 'The CLV model predictions use', response: { 200: ClvModel, ...problemResponses(401, 403, 404) } },
    },
    async () => models.active(),
  );

  app.get(
    '/v1/scoring/models/clv/:version',
    {
      config: { access: access.read },
      schema: { operationId: 'getClvModel', tags, summary: 'One CLV model version', params: ClvModelVersionParams, response: { 200: ClvModel, ...problemResponses(400, 401, 403, 404) } },
    },
    async (request) => models.byVersion(request.params.version),
  );
}
