import { problemResponses, type AccessRule, type App } from '@crm/platform';
import { SALES_READERS } from '../access';
import { Forecast, ForecastCompareQuery, ForecastComparison, ForecastQuery, ForecastSnapshot, NewSnapshot } from './forecast.schemas';
import type { ForecastService } from './forecast.service';

const tags = ['forecasts'];
const readForecasts: AccessRule = { action: 'read forecasts', staff: SALES_READERS, dealer: true, integration: true };
const takeSnapshots: AccessRule = { action: 'take forecast snapshots', staff: ['admin', 'sales-manager'], dealer: false, integration: false };
const scoped = "A rep sees its own and its team's opportunities, a manager its teams', a dealer its own (the sums cover only those).";

export function forecastRoutes(app: App, forecasts: ForecastService): void {
  app.get(
    '/v1/forecasts',
    {
      config: { access: readForecasts },
      schema: {
        operationId: 'getForecast',
        tags,
        summary: 'The forecast of a month or quarter by owner, team, dealer or product line, against quotas',
        description:
          'Per group: the weighted amount (Σ amount in the base currency × stage probability) of the open opportunities expected to close in the period, the sums per forecast category, ' +
          'what was won in the period, the quota and the attainment (won ÷ quota). Amounts without a known exchange rate are left out and counted in `unconverted`. ' +
          'With `asOf`, the answer comes from the latest snapshot taken for that day or before (its amounts at the rates of that day; quotas and team membership as they are now). ' +
          scoped,
        querystring: ForecastQuery,
        response: { 200: Forecast, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => forecasts.forecast(request.principal, request.query),
  );

  app.get(
    '/v1/forecasts/compare',
    {
      config: { access: readForecasts },
      schema: {
        operationId: 'compareForecast',
        tags,
        summary: 'The forecast now against the one of a snapshot (e.g. as of last Monday), per group',
        description: `404 when no snapshot of the period was taken for \`asOf\` or before. ${scoped}`,
        querystring: ForecastCompareQuery,
        response: { 200: ForecastComparison, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => forecasts.compare(request.principal, request.query),
  );

  app.post(
    '/v1/forecasts/snapshots',
    {
      config: { access: takeSnapshots },
      schema: {
        operationId: 'takeForecastSnapshot',
        tags,
        summary: "Store the period's forecast now, dated today",
        description: 'A snapshot keeps every owner × dealer × product line cell in the base currency at today\'s rates, so any grouping and any caller\'s scope can be answered from it later. One is also taken automatically every Monday 00:00 (sales time zone) for the month and the quarter.',
        body: NewSnapshot,
        response: { 201: ForecastSnapshot, ...problemResponses(400, 401, 403) },
      },
    },
    async (request, reply) => reply.code(201).send(await forecasts.snapshot(request.principal, request.body.period)),
  );
}
