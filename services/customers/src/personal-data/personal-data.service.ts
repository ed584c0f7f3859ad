import { CustomerEvents, type BuyingRole, type ConsentChannel, type Principal } from '@crm/domain';
import { contactDigest, erasePlatformRecords, problem, Problems } from '@crm/platform';
import { consentRepository } from '../consents/consents.repository';
import { contactRepository } from '../contacts/contacts.repository';
import { active, resolveCustomer, visible, withoutForeignCustomerIds, type ReadResult } from '../customers/customer.visibility';
import { customerRepository } from '../customers/customers.repository';
import { writeContextOf, type Dependencies } from '../dependencies';
import { timelineRepository } from '../timeline/timeline.repository';
import { timelineEntryOf } from '../timeline/timeline.service';
import type { CustomerRecordExport } from './personal-data.schemas';

/** A person's data: what we hold (export) and its erasure. */
export function createPersonalDataService(deps: Pick<Dependencies, 'db' | 'write' | 'outbox' | 'runtime' | 'internalSecret'>) {
  const { db } = deps;
  return Object.freeze({
    /**
     * Everything held on a person (GDPR art. 15/20): profile, identifiers, contacts, consent history,
     * timeline. For a dealer, the contacts and timeline name no customer it may not see.
     */
    async export(principal: Principal, id: string): Promise<ReadResult<CustomerRecordExport>> {
      const resolved = await resolveCustomer(db, id, principal);
      if (resolved.kind === 'moved') return resolved;
      const customerId = resolved.row.id;
      const [views, contacts, consents, timeline] = await Promise.all([
        customerRepository.loadViews(db, [customerId]),
        contactRepository.involving(db, customerId),
        consentRepository.history(db, customerId),
        timelineRepository.all(db, customerId),
      ]);
      const customer = views.get(customerId);
      if (!customer) throw problem(Problems.notFound, `customer ${customerId} does not exist`);
      const links = await withoutForeignCustomerIds(db, {
        contacts: contacts.map((c) => ({ id: c.id, organizationId: c.organization_id, personId: c.person_id, buyingRole: c.buying_role as BuyingRole, jobTitle: c.job_title })),
        timeline: timeline.map(timelineEntryOf),
      }, principal);
      return {
        kind: 'found',
        value: {
          exportedAt: deps.runtime.now().toISOString(),
          customer,
          contacts: links.contacts,
          consentHistory: consents.map((c) => ({ channel: c.channel as ConsentChannel, granted: c.granted, source: c.source, recordedAt: new Date(c.recorded_at).toISOString() })),
          timeline: links.timeline,
        },
      };
    },

    /**
     * GDPR erasure: personal data goes, an anonymous tombstone stays so references from elsewhere
     * (orders, tickets) still resolve to "an erased customer". The ids merged into the person are the
     * same person: they are erased with it. Reaches everything this service keeps: the row and its
     * aliases, external ids, consent history, contacts, its timeline and the entries on other timelines
     * that describe it, stored idempotent responses, dead letters and events not yet published. Other
     * services drop theirs on `crm.customer.erased.v1`.
     */
    async erase(principal: Principal, id: string): Promise<void> {
      const context = writeContextOf(deps, principal);
      await deps.write(async (trx) => {
        const [row] = await customerRepository.lockByIds(trx, [id]);
        const customer = visible(row, principal, id);
        if (customer.status === 'erased') return;
        if (customer.status === 'merged') active(customer);
        const now = context.runtime.now().toISOString();
        const aliases = await customerRepository.aliasesOf(trx, id);
        const mergedIds = aliases.map((r) => r.id);
        const ids = [id, ...mergedIds];
        const contactPoints = [customer, ...aliases].flatMap((r) => [...r.emails, ...r.phones]);
        await customerRepository.erase(trx, ids, now);
        await consentRepository.deleteFor(trx, ids);
        await timelineRepository.deleteFor(trx, ids);
        await contactRepository.deleteFor(trx, ids);
        await timelineRepository.scrubMentionsOf(trx, ids);
        await erasePlatformRecords(trx, ids, contactPoints);
        await context.outbox.append(trx, CustomerEvents.erased, { customerId: id, mergedIds, contactDigests: [...new Set(contactPoints.map((point) => contactDigest(deps.internalSecret, point)))] });
        await timelineRepository.addEntries(trx, [{ customerId: id, occurredAt: now, type: CustomerEvents.erased.type, source: context.source, data: {} }]);
      });
    },
  });
}

export type PersonalDataService = ReturnType<typeof createPersonalDataService>;
