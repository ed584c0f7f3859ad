import { CurrencyCode } from '@crm/domain';
import { etagOf, ifMatchHolds, IfMatchHeaders, problem, problemResponses, Problems, type App } from '@crm/platform';
import { sql } from 'kysely';
import { z } from 'zod';
import { access } from '../access';
import type { ScoringRouteContext } from './route-context';

const Rate = z.string().regex(/^\d{1,12}(\.\d{1,10})?$/, 'must be a positive decimal string like "0.1389"').refine((r) => Number(r) > 0, 'must be greater than 0');
const ExchangeRate = z
  .object({ currency: z.string(), rate: z.string(), baseCurrency: z.string(), version: z.number().int(), updatedAt: z.string() })
  .meta({ id: 'ExchangeRate' });
const tags = ['exchange-rates'];

export function exchangeRateRoutes(app: App, context: ScoringRouteContext): void {
  const base = context.config.SCORING_BASE_CURRENCY;
  const view = (row: { currency: string; rate: string; version: number; updated_at: Date | string }) => ({
    currency: row.currency,
    rate: row.rate,
    baseCurrency: base,
    version: row.version,
    updatedAt: new Date(row.updated_at).toISOString(),
  });

  app.put(
    '/v1/exchange-rates/:currency',
    { config: { access: access.administer },
      schema: {
        operationId: 'setExchangeRate',
        tags,
        summary: 'Set how many units of the base currency one unit of this currency is worth',
        description: 'Applies to transactions ingested from now on (each keeps the amount converted when it arrived). If-Match is checked when sent.',
        params: z.object({ currency: CurrencyCode }),
        headers: IfMatchHeaders,
        body: z.strictObject({ rate: Rate }),
        response: { 200: ExchangeRate, 201: ExchangeRate, ...problemResponses(400, 401, 403, 412, 422) },
      },
    },
    async (request, reply) => {
      const { currency } = request.params;
      if (currency === base) throw problem(Problems.unprocessable, `${base} is the base currency: its rate is 1`);
      const { row, created } = await context.write(async (trx) => {
        const current = await trx.selectFrom('exchange_rate').selectAll().where('currency', '=', currency).forUpdate().executeTakeFirst();
        const ifMatch = request.headers['if-match'];
        if (ifMatch !== undefined && (!current || !ifMatchHolds(ifMatch, current.version))) {
          throw problem(Problems.preconditionFailed, current ? `the current ETag is ${etagOf(current.version)}` : 'no rate is set yet');
        }
        const written = await trx
          .insertInto('exchange_rate')
          .values({ currency, rate: request.body.rate })
          .onConflict((oc) => oc.column('currency').doUpdateSet({ rate: request.body.rate, version: sql`exchange_rate.version + 1`, updated_at: sql`now()` }))
          .returningAll()
          .executeTakeFirstOrThrow();
        return { row: written, created: !current };
      });
      return reply.code(created ? 201 : 200).header('etag', etagOf(row.version)).send(view(row));
    },
  );

  app.get(
    '/v1/exchange-rates',
    { config: { access: access.read }, schema: { operationId: 'listExchangeRates', tags, summary: 'Every exchange rate to the base currency', response: { 200: z.object({ baseCurrency: z.string(), items: z.array(ExchangeRate) }), ...problemResponses(401, 403) } } },
    async (request) => {
      const rows = await context.db.selectFrom('exchange_rate').selectAll().orderBy('currency').execute();
      return { baseCurrency: base, items: rows.map(view) };
    },
  );
}
