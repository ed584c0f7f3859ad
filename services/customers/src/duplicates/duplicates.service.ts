import { CustomerEvents, type Principal } from '@crm/domain';
import { dealerScope, problem } from '@crm/platform';
import { consentRepository } from '../consents/consents.repository';
import { contactRepository } from '../contacts/contacts.repository';
import { survive, survivingFieldTimes, type CustomerField, type Side } from '../customers/customer.model';
import { CustomerProblems } from '../customers/customer.problems';
import { snapshotOf } from '../customers/customer.snapshot';
import { active, resolveCustomer, visible, type ReadResult } from '../customers/customer.visibility';
import { customerRepository, stateOf } from '../customers/customers.repository';
import type { CustomerView } from '../customers/customers.schemas';
import { writeContextOf, type Dependencies } from '../dependencies';
import { timelineRepository } from '../timeline/timeline.repository';
import { duplicateRepository } from './duplicates.repository';
import type { DuplicateCandidate, MatchAnswer, MatchRequest } from './duplicates.schemas';

/** Finding duplicates, and merging one into the customer that survives. */
export function createDuplicatesService(deps: Pick<Dependencies, 'db' | 'write' | 'outbox' | 'runtime' | 'trigram'>) {
  const { db } = deps;
  return Object.freeze({
    /** Which active customers hold each item's e-mail or phone (other services dedupe against them: ADR 0014). */
    async matches(principal: Principal, request: MatchRequest): Promise<MatchAnswer> {
      const found = await duplicateRepository.matches(db, request.items, dealerScope(principal));
      return {
        results: request.items.map((_, index) => ({
          index,
          matches: found.filter((match) => match.index === index).map(({ customerId, dealerId, kind, on }) => ({ customerId, dealerId, kind, on })),
        })),
      };
    },

    /** Candidates sharing a normalised e-mail, an E.164 phone, or a similar name with the same birthday. */
    async candidates(principal: Principal, id: string): Promise<ReadResult<{ items: DuplicateCandidate[] }>> {
      const resolved = await resolveCustomer(db, id, principal);
      if (resolved.kind === 'moved') return resolved;
      const rows = await duplicateRepository.candidates(db, resolved.row, { dealerScope: dealerScope(principal), trigram: deps.trigram });
      const views = await customerRepository.loadViews(db, rows.map((r) => r.id));
      return { kind: 'found', value: { items: rows.map((r) => ({ customer: views.get(r.id) as CustomerView, rules: r.rules, score: r.score })) } };
    },

    /**
     * Merges `duplicateId` into `survivorId`: field survivorship, external ids, contacts, consents and
     * timeline move over, the duplicate stays as an alias that forwards to the survivor.
     */
    async merge(principal: Principal, survivorId: string, duplicateId: string, prefer: Partial<Record<CustomerField, Side>>): Promise<CustomerView> {
      const context = writeContextOf(deps, principal);
      return deps.write(async (trx) => {
        if (survivorId === duplicateId) throw problem(CustomerProblems.mergeIntoSelf, 'survivor and duplicate are the same customer');
        const rows = new Map((await customerRepository.lockByIds(trx, [survivorId, duplicateId])).map((row) => [row.id, row]));
        const survivor = active(visible(rows.get(survivorId), principal, survivorId));
        const duplicate = active(visible(rows.get(duplicateId), principal, duplicateId));
        if (survivor.kind !== duplicate.kind) throw problem(CustomerProblems.invalidCustomer, 'a person and an organization cannot be merged');

        const now = context.runtime.now().toISOString();
        const sides = [
          { state: stateOf(survivor), fieldUpdatedAt: survivor.field_updated_at },
          { state: stateOf(duplicate), fieldUpdatedAt: duplicate.field_updated_at },
        ] as const;
        const state = survive(...sides, prefer);
        const fieldUpdatedAt = { ...survivingFieldTimes(...sides, prefer), merged: now };
        await customerRepository.updateMany(trx, [{ id: survivorId, state, fieldUpdatedAt, at: now }]);

        await customerRepository.moveExternalIds(trx, duplicateId, survivorId);
        await consentRepository.moveAll(trx, duplicateId, survivorId);
        await timelineRepository.moveAll(trx, duplicateId, survivorId);
        await contactRepository.moveAll(trx, duplicateId, survivorId);
        await customerRepository.markMerged(trx, duplicateId, survivorId, now);

        const view = (await customerRepository.loadViews(trx, [survivorId])).get(survivorId) as CustomerView;
        await context.outbox.append(trx, CustomerEvents.merged, { survivorId, mergedId: duplicateId, survivor: snapshotOf(view) });
        await timelineRepository.addEntries(trx, [
          { customerId: survivorId, occurredAt: now, type: CustomerEvents.merged.type, source: context.source, data: { mergedId: duplicateId } },
        ]);
        return view;
      });
    },
  });
}

export type DuplicatesService = ReturnType<typeof createDuplicatesService>;
