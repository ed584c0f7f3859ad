import { NDJSON, pageOf, problemResponses, readBatch, sendNdjson, sendsHeaders, type App, type NdjsonLimits } from '@crm/platform';
import { access } from '../access';
import type { TransactionService } from './transactions.service';
import { IngestJob, IngestJobParams, IngestTransactionsAnswer, IngestTransactionsBody, MAX_JSON_BATCH, Transaction, TransactionListQuery } from './transactions.schemas';

const tags = ['transactions'];

export function transactionRoutes(app: App, transactions: TransactionService, ndjsonLimits: NdjsonLimits): void {
  app.post(
    '/v1/transactions/batch',
    {
      bodyLimit: 64 * 1024 * 1024,
      config: { access: access.ingest },
      schema: {
        operationId: 'ingestTransactions',
        tags,
        summary: `Ingest up to ${MAX_JSON_BATCH} transactions (JSON), or any number as an NDJSON stream`,
        description:
          'JSON: `{ "items": [TransactionInput…] }` → a result per row (inserted, pending — customer not known yet —, duplicate, rejected with the reason). ' +
          '`Content-Type: application/x-ndjson`: one TransactionInput per line → an NDJSON answer: `{ jobId }` at once, `{ progress }` ' +
          'after every chunk of 5,000 lines, `{ jobId, summary }` last; the ingest job (`GET /v1/ingest-jobs/{id}`, also in `Location`) ' +
          'shows the same progress and keeps the rejected lines with their numbers and reasons. A stream past its limits (bytes, lines) is ' +
          'stopped there: the chunks before stay written, the answer ends with `{ jobId, error: problem }` (413) and the job with `lastLine`.',
        consumes: ['application/json', NDJSON],
        ...sendsHeaders({ 200: ['Location'] }),
        body: IngestTransactionsBody,
        response: { 200: IngestTransactionsAnswer, ...problemResponses(400, 401, 403, 413, 415) },
      },
    },
    async (request, reply) => {
      const batch = await readBatch(request, reply, ndjsonLimits);
      if (batch.kind === 'json') return transactions.ingestItems(request.principal, batch.items);
      // Headers and bytes flow while a long ingest runs, so no proxy timeout cuts it off.
      const { jobId, answer } = await transactions.ingestStream(request.principal, batch.lines, request.log);
      return sendNdjson(reply.header('location', `/v1/ingest-jobs/${jobId}`), answer);
    },
  );

  app.get(
    '/v1/ingest-jobs/:id',
    {
      config: { access: access.read },
      schema: { operationId: 'getIngestJob', tags, summary: 'An NDJSON ingest: progress, counts and rejected lines', params: IngestJobParams, response: { 200: IngestJob, ...problemResponses(400, 401, 403, 404) } },
    },
    async (request) => transactions.getIngestJob(request.principal, request.params.id),
  );

  app.get(
    '/v1/transactions',
    {
      config: { access: access.read },
      schema: {
        operationId: 'listTransactions',
        tags,
        summary: 'Transactions, newest first; a dealer sees only those of its customers',
        querystring: TransactionListQuery,
        response: { 200: pageOf(Transaction), ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => transactions.list(request.principal, request.query),
  );
}
