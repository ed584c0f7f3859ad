import { SafeText, type Principal } from '@crm/domain';
import { dealerScope, decodeCursor, idempotencyScope, onceForKey, paginate, problem, Problems, requestHash, requireIfMatch } from '@crm/platform';
import { z } from 'zod';
import type { Dependencies } from '../dependencies';
import { dealerRepository, type DealerRow } from './dealers.repository';
import type { Dealer, DealerChanges, DealerInput } from './dealers.schemas';

const CodeCursor = z.object({ key: SafeText });

const dealerOf = (row: DealerRow): Dealer => ({ id: row.id, code: row.code, name: row.name, region: row.region, city: row.city, version: row.version });
const notFound = (id: string) => problem(Problems.notFound, `dealer ${id} does not exist`);

/** Dealers: admins keep the list; a dealer principal sees only itself. */
export function createDealersService({ db, write, runtime }: Pick<Dependencies, 'db' | 'write' | 'runtime'>) {
  return Object.freeze({
    async create(principal: Principal, input: DealerInput, idempotencyKey: string | undefined): Promise<Dealer> {
      const stored = await write((trx) =>
        onceForKey(trx, { scope: idempotencyScope('dealers.create', principal), key: idempotencyKey, hash: requestHash(input) }, async () => {
          const row = await dealerRepository.insert(trx, { id: runtime.newId(), code: input.code, name: input.name, region: input.region ?? null, city: input.city ?? null, at: runtime.now() });
          if (!row) throw problem(Problems.conflict, `dealer code ${input.code} is taken`);
          return { statusCode: 201, body: dealerOf(row) };
        }),
      );
      return stored.body as Dealer;
    },

    async list(principal: Principal, page: { limit: number; cursor?: string | undefined }) {
      const after = decodeCursor(page.cursor, CodeCursor);
      const rows = await dealerRepository.list(db, { onlyId: dealerScope(principal), afterCode: after?.key, limit: page.limit });
      return paginate(rows, page.limit, dealerOf, (row) => ({ key: row.code }));
    },

    async get(principal: Principal, id: string): Promise<Dealer> {
      const row = await dealerRepository.findById(db, id);
      const scope = dealerScope(principal);
      if (!row || (scope !== undefined && scope !== row.id)) throw notFound(id);
      return dealerOf(row);
    },

    async update(id: string, changes: DealerChanges, ifMatch: string | undefined): Promise<Dealer> {
      const row = await write(async (trx) => {
        const current = await dealerRepository.lockById(trx, id);
        if (!current) throw notFound(id);
        requireIfMatch(ifMatch, current.version);
        if (changes.code && changes.code !== current.code && (await dealerRepository.codeTaken(trx, changes.code))) {
          throw problem(Problems.conflict, `dealer code ${changes.code} is taken`);
        }
        return dealerRepository.update(trx, current.id, changes, runtime.now());
      });
      return dealerOf(row);
    },
  });
}

export type DealersService = ReturnType<typeof createDealersService>;
