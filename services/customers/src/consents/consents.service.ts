import { CustomerEvents, type ConsentChannel, type Principal } from '@crm/domain';
import { snapshotOf } from '../customers/customer.snapshot';
import { active, visible, withRevealableSurvivor } from '../customers/customer.visibility';
import { customerRepository } from '../customers/customers.repository';
import type { CustomerView } from '../customers/customers.schemas';
import { writeContextOf, type Dependencies } from '../dependencies';
import { timelineRepository } from '../timeline/timeline.repository';
import { consentRepository } from './consents.repository';

export interface ConsentDecisionInput {
  channel: ConsentChannel;
  granted: boolean;
  source: string;
  recordedAt?: string | undefined;
}

export function createConsentsService(deps: Pick<Dependencies, 'write' | 'outbox' | 'runtime'>) {
  return Object.freeze({
    /** Records a consent decision; the history keeps every one, the newest per channel is the current state. */
    async record(principal: Principal, id: string, consent: ConsentDecisionInput): Promise<CustomerView> {
      const context = writeContextOf(deps, principal);
      return deps.write(async (trx) => {
        const [row] = await customerRepository.lockByIds(trx, [id]);
        active(await withRevealableSurvivor(trx, visible(row, principal, id), principal));
        const now = context.runtime.now().toISOString();
        const recordedAt = consent.recordedAt ?? now;
        await consentRepository.insert(trx, { customerId: id, channel: consent.channel, granted: consent.granted, source: consent.source, recordedAt });
        await customerRepository.bumpVersion(trx, id, now);
        const data = { customerId: id, channel: consent.channel, granted: consent.granted, source: consent.source, recordedAt: new Date(recordedAt).toISOString() };
        await context.outbox.append(trx, CustomerEvents.consentChanged, data);
        const view = (await customerRepository.loadViews(trx, [id])).get(id) as CustomerView;
        // Read models keep the current consents from snapshots (a backdated decision may change nothing).
        await context.outbox.append(trx, CustomerEvents.updated, { customer: snapshotOf(view), changedFields: ['consents'] });
        await timelineRepository.addEntries(trx, [{ customerId: id, occurredAt: recordedAt, type: CustomerEvents.consentChanged.type, source: context.source, data }]);
        return view;
      });
    },
  });
}

export type ConsentsService = ReturnType<typeof createConsentsService>;
