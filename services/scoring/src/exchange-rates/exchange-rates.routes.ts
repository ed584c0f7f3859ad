import { etagOf, IfMatchHeaders, problemResponses, type App } from '@crm/platform';
import { access } from '../access';
import type { ExchangeRateService } from './exchange-rates.service';
import { ExchangeRate, ExchangeRateList, ExchangeRateParams, SetExchangeRateBody } from './exchange-rates.schemas';

const tags = ['exchange-rates'];

export function exchangeRateRoutes(app: App, rates: ExchangeRateService): void {
  app.put(
    '/v1/exchange-rates/:currency',
    {
      config: { access: access.administer },
      schema: {
        operationId: 'setExchangeRate',
        tags,
        summary: 'Set how many units of the base currency one unit of this currency is worth',
        description: 'Applies to transactions ingested from now on (each keeps the amount converted when it arrived). If-Match is checked when sent.',
        params: ExchangeRateParams,
        headers: IfMatchHeaders,
        body: SetExchangeRateBody,
        response: { 200: ExchangeRate, 201: ExchangeRate, ...problemResponses(400, 401, 403, 412, 422) },
      },
    },
    async (request, reply) => {
      const { rate, created } = await rates.set(request.params.currency, request.body.rate, request.headers['if-match']);
      return reply.code(created ? 201 : 200).header('etag', etagOf(rate.version)).send(rate);
    },
  );

  app.get(
    '/v1/exchange-rates',
    {
      config: { access: access.read },
      schema: { operationId: 'listExchangeRates', tags, summary: 'Every exchange rate to the base currency', response: { 200: ExchangeRateList, ...problemResponses(401, 403) } },
    },
    async () => rates.list(),
  );
}
