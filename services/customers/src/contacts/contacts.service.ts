import { CustomerEvents, type BuyingRole, type Principal } from '@crm/domain';
import { dealerScope, idempotencyScope, onceForKey, problem, Problems, requestHash } from '@crm/platform';
import { CustomerProblems } from '../customers/customer.problems';
import { snapshotOf } from '../customers/customer.snapshot';
import { active, resolveCustomer, visible, withRevealableSurvivor, type ReadResult } from '../customers/customer.visibility';
import { customerRepository } from '../customers/customers.repository';
import type { CustomerView } from '../customers/customers.schemas';
import { writeContextOf, type Dependencies } from '../dependencies';
import { timelineRepository } from '../timeline/timeline.repository';
import { contactRepository } from './contacts.repository';
import type { ContactInput, ContactView } from './contacts.schemas';

/** Persons linked to organizations with a buying role. */
export function createContactsService(deps: Pick<Dependencies, 'db' | 'write' | 'outbox' | 'runtime'>) {
  const { db } = deps;
  return Object.freeze({
    /** An organization's contacts; a dealer sees the contacts that are its own customers too, never another dealer's customer's id. */
    async list(principal: Principal, organizationId: string): Promise<ReadResult<{ items: ContactView[] }>> {
      const resolved = await resolveCustomer(db, organizationId, principal);
      if (resolved.kind === 'moved') return resolved;
      const rows = await contactRepository.ofOrganization(db, resolved.row.id, dealerScope(principal));
      return {
        kind: 'found',
        value: {
          items: rows.map((c) => ({ id: c.id, organizationId: c.organization_id, personId: c.person_id, buyingRole: c.buying_role as BuyingRole, jobTitle: c.job_title, createdAt: new Date(c.created_at).toISOString() })),
        },
      };
    },

    /** Links a person to an organization with a buying role; the organization records the change. */
    async add(principal: Principal, organizationId: string, input: ContactInput, idempotencyKey: string | undefined): Promise<ContactView> {
      const context = writeContextOf(deps, principal);
      const stored = await deps.write((trx) =>
        onceForKey(trx, { scope: idempotencyScope('customers.contact', principal), key: idempotencyKey, hash: requestHash(organizationId, input) }, async () => {
          const rows = new Map((await customerRepository.lockByIds(trx, [organizationId, input.personId])).map((row) => [row.id, row]));
          const organization = active(await withRevealableSurvivor(trx, visible(rows.get(organizationId), principal, organizationId), principal));
          const person = active(await withRevealableSurvivor(trx, visible(rows.get(input.personId), principal, input.personId), principal));
          if (organization.kind !== 'organization' || person.kind !== 'person') throw problem(CustomerProblems.notAnOrganization);
          const createdAt = context.runtime.now().toISOString();
          const contact: ContactView = { id: context.runtime.newId(), organizationId, personId: person.id, buyingRole: input.buyingRole, jobTitle: input.jobTitle ?? null, createdAt };
          if (!(await contactRepository.insert(trx, contact))) throw problem(Problems.conflict, 'this person already has this buying role here');
          await customerRepository.bumpVersion(trx, organizationId, createdAt);
          const view = (await customerRepository.loadViews(trx, [organizationId])).get(organizationId) as CustomerView;
          await context.outbox.append(trx, CustomerEvents.updated, { customer: snapshotOf(view), changedFields: ['contacts'] });
          await timelineRepository.addEntries(trx, [
            { customerId: organizationId, occurredAt: createdAt, type: CustomerEvents.updated.type, source: context.source, data: { changedFields: ['contacts'], contact }, mentionedCustomerId: person.id },
          ]);
          return { statusCode: 201, body: contact };
        }),
      );
      return stored.body as ContactView;
    },
  });
}

export type ContactsService = ReturnType<typeof createContactsService>;
