import { externalIdNamespace, SHARED_NAMESPACE, type ExternalId, type Principal } from '@crm/domain';
import {
  dealerScope,
  decodeCursor,
  idempotencyScope,
  ndjsonBatchAnswer,
  onceForKey,
  paginate,
  problem,
  Problems,
  refusedLineError,
  requestHash,
  type IndexedValue,
  type NdjsonReader,
} from '@crm/platform';
import { z } from 'zod';
import { writeContextOf, type Dependencies } from '../dependencies';
import { batchTally, upsertChunk } from './customer-batch.service';
import { upsertCustomers, type CustomerRef, type ItemResult } from './customer-upsert.service';
import { resolveCustomer, type ReadResult } from './customer.visibility';
import { customerRepository, type Db } from './customers.repository';
import type { BatchItemResult, BatchSummary, CustomerInput, CustomerView, SearchQuery } from './customers.schemas';

const IdCursor = z.object({ id: z.uuid() });
/** NDJSON batches are written this many lines to a transaction. */
const NDJSON_CHUNK = 1000;

/** Single-item writes answer an item error as the problem it names. */
function unwrapItem(result: ItemResult | undefined): Exclude<ItemResult, { status: 'error' }> {
  if (!result) throw new Error('no result for the item');
  if (result.status === 'error') {
    const { problem: type, message, survivorId } = result.error;
    throw problem(type, message, survivorId ? { survivorId } : {});
  }
  return result;
}

async function viewOf(db: Db, id: string): Promise<CustomerView> {
  const view = (await customerRepository.loadViews(db, [id])).get(id);
  if (!view) throw problem(Problems.notFound, `customer ${id} does not exist`);
  return view;
}

/** Customers: create, read, search, change and upsert one or many (every write goes through upsertCustomers). */
export function createCustomersService(deps: Pick<Dependencies, 'db' | 'write' | 'outbox' | 'runtime' | 'trigram'>) {
  const { db, write } = deps;

  /** One item through the write path, answered as its problem when it fails. */
  const upsertOne = (trx: Db, principal: Principal, ref: CustomerRef, input: CustomerInput) =>
    upsertCustomers(trx, [{ ref, input }], writeContextOf(deps, principal)).then(({ results, views }) => ({ result: unwrapItem(results[0]), views }));

  return Object.freeze({
    async create(principal: Principal, input: CustomerInput, idempotencyKey: string | undefined): Promise<CustomerView> {
      const stored = await write((trx) =>
        onceForKey(trx, { scope: idempotencyScope('customers.create', principal), key: idempotencyKey, hash: requestHash(input) }, async () => {
          const { result, views } = await upsertOne(trx, principal, { kind: 'new' }, input);
          return { statusCode: 201, body: views.get(result.id) };
        }),
      );
      return stored.body as CustomerView;
    },

    /** Keyset-paginated search over active customers, confined to the dealer for dealer principals. */
    async search(principal: Principal, search: SearchQuery) {
      const after = decodeCursor(search.cursor, IdCursor);
      const scope = dealerScope(principal);
      const external = search.externalSystem && search.externalId
        // A dealer finds by its own namespace and the shared one (ADR 0008); staff and integrations by any.
        ? { system: search.externalSystem, id: search.externalId, namespaces: scope ? [externalIdNamespace(principal), SHARED_NAMESPACE] : undefined }
        : undefined;
      const ids = await customerRepository.search(db, {
        dealerScope: scope,
        dealerId: search.dealerId,
        lifecycleStage: search.lifecycleStage,
        role: search.role,
        email: search.email,
        phone: search.phone,
        external,
        name: search.q ? { text: search.q, trigram: deps.trigram } : undefined,
        afterId: after?.id,
        limit: search.limit,
      });
      const views = await customerRepository.loadViews(db, ids.slice(0, search.limit));
      return paginate(ids, search.limit, (id) => views.get(id) as CustomerView, (id) => ({ id }));
    },

    /** A customer by id; a merged id answers with its survivor (the route redirects). */
    async get(principal: Principal, id: string): Promise<ReadResult<CustomerView>> {
      const resolved = await resolveCustomer(db, id, principal);
      if (resolved.kind === 'moved') return resolved;
      return { kind: 'found', value: await viewOf(db, resolved.row.id) };
    },

    /** PATCH: the fields given, If-Match required. */
    async update(principal: Principal, id: string, input: CustomerInput, ifMatch: string | undefined): Promise<CustomerView> {
      return write(async (trx) => {
        const { result } = await upsertOne(trx, principal, { kind: 'id', id, ifMatch, requireIfMatch: true }, input);
        return viewOf(trx, result.id);
      });
    },

    /** Idempotent upsert by an external system id; If-Match is checked when sent. */
    async upsertByExternalId(principal: Principal, externalId: ExternalId, input: CustomerInput, ifMatch: string | undefined): Promise<{ created: boolean; view: CustomerView }> {
      return write(async (trx) => {
        const { result } = await upsertOne(trx, principal, { kind: 'external', externalId, ifMatch }, input);
        return { created: result.status === 'created', view: await viewOf(trx, result.id) };
      });
    },

    /** A JSON batch: one transaction, per-item results. */
    async upsertBatch(principal: Principal, items: IndexedValue[]): Promise<{ results: BatchItemResult[]; summary: BatchSummary }> {
      const results = await upsertChunk(write, items, writeContextOf(deps, principal));
      return { results, summary: batchTally.add(batchTally.initial, results) };
    },

    /** An NDJSON batch: read in chunks, each chunk written in its own transaction, results streamed back as lines. */
    upsertBatchStream(principal: Principal, lines: NdjsonReader): AsyncGenerator<string> {
      const context = writeContextOf(deps, principal);
      return ndjsonBatchAnswer(
        lines,
        NDJSON_CHUNK,
        (items, refused) => upsertChunk(write, items, context, refused.map((line) => ({ index: line.index, status: 'error', error: refusedLineError(line) }))),
        batchTally,
      );
    },
  });
}

export type CustomersService = ReturnType<typeof createCustomersService>;
