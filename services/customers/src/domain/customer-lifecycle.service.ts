import { CustomerEvents, type ConsentChannel, type Principal } from '@crm/domain';
import { erasePlatformRecords, problem, Problems } from '@crm/platform';
import { sql } from 'kysely';
import { addTimelineEntries, loadViews, lockCustomers, stateOf, updateCustomers, type Db, table } from '../db/customer.repository';
import type { CustomerRow } from '../db/tables';
import { dealerScope, withRevealableSurvivor } from './access';
import type { z } from 'zod';
import { survive, survivingFieldTimes, type ContactInput, type ContactView, type CustomerField, type CustomerView, type Side } from './customer.model';
import { CustomerProblems } from './customer.problems';
import { snapshotOf } from './customer.snapshot';
import type { WriteContext } from './customer-write.service';


/** A customer the principal may see, or 404 (a dealer never learns another dealer's customers exist). */
export function visible(row: CustomerRow | undefined, principal: Principal, id: string): CustomerRow {
  const scope = dealerScope(principal);
  if (!row || (scope && row.dealer_id !== scope)) throw problem(Problems.notFound, `customer ${id} does not exist`);
  return row;
}

export function active(row: CustomerRow): CustomerRow {
  if (row.status === 'merged') throw problem(CustomerProblems.customerMerged, `customer ${row.id} was merged into ${row.merged_into}`, { survivorId: row.merged_into });
  if (row.status === 'erased') throw problem(CustomerProblems.customerErased, `customer ${row.id} was erased`);
  return row;
}

/**
 * Merges `duplicateId` into `survivorId`: field survivorship, external ids, contacts, consents and
 * timeline move over, the duplicate stays as an alias that forwards to the survivor.
 */
export async function mergeCustomers(
  trx: Db,
  survivorId: string,
  duplicateId: string,
  prefer: Partial<Record<CustomerField, Side>>,
  context: WriteContext,
): Promise<CustomerView> {
  if (survivorId === duplicateId) throw problem(CustomerProblems.mergeIntoSelf, 'survivor and duplicate are the same customer');
  const rows = new Map((await lockCustomers(trx, [survivorId, duplicateId])).map((row) => [row.id, row]));
  const survivor = active(visible(rows.get(survivorId), context.principal, survivorId));
  const duplicate = active(visible(rows.get(duplicateId), context.principal, duplicateId));
  if (survivor.kind !== duplicate.kind) throw problem(CustomerProblems.invalidCustomer, 'a person and an organization cannot be merged');

  const now = context.runtime.now().toISOString();
  const sides = [
    { state: stateOf(survivor), fieldUpdatedAt: survivor.field_updated_at },
    { state: stateOf(duplicate), fieldUpdatedAt: duplicate.field_updated_at },
  ] as const;
  const state = survive(...sides, prefer);
  const fieldUpdatedAt = { ...survivingFieldTimes(...sides, prefer), merged: now };
  await updateCustomers(trx, [{ id: survivorId, state, fieldUpdatedAt, at: now }]);

  const moves = { from: duplicateId, to: survivorId };
  await sql`update ${table('external_id')} set customer_id = ${moves.to} where customer_id = ${moves.from}`.execute(trx);
  await sql`update ${table('consent')} set customer_id = ${moves.to} where customer_id = ${moves.from}`.execute(trx);
  await sql`update ${table('timeline_entry')} set customer_id = ${moves.to} where customer_id = ${moves.from}`.execute(trx);
  // Contacts move over; a link the survivor already has is dropped rather than doubled.
  for (const column of ['organization_id', 'person_id'] as const) {
    await sql`delete from ${table('contact')} d using ${table('contact')} s
      where d.${sql.ref(column)} = ${moves.from} and s.${sql.ref(column)} = ${moves.to}
        and s.buying_role = d.buying_role
        and ${column === 'organization_id' ? sql`s.person_id = d.person_id` : sql`s.organization_id = d.organization_id`}`.execute(trx);
    await sql`update ${table('contact')} set ${sql.ref(column)} = ${moves.to} where ${sql.ref(column)} = ${moves.from}`.execute(trx);
  }
  // The duplicate becomes an alias; aliases of the duplicate now forward straight to the survivor.
  await sql`update ${table('customer')} set status = 'merged', merged_into = ${moves.to}, updated_at = ${now}, version = version + 1
    where id = ${moves.from} or merged_into = ${moves.from}`.execute(trx);

  const view = (await loadViews(trx, [survivorId])).get(survivorId) as CustomerView;
  await context.outbox.append(trx, CustomerEvents.merged, { survivorId, mergedId: duplicateId, survivor: snapshotOf(view) });
  await addTimelineEntries(trx, [
    { customerId: survivorId, occurredAt: now, type: CustomerEvents.merged.type, source: context.source, data: { mergedId: duplicateId } },
  ]);
  return view;
}

/**
 * GDPR erasure: personal data goes, an anonymous tombstone stays so references from elsewhere
 * (orders, tickets) still resolve to "an erased customer". The ids merged into the person are the
 * same person: they are erased with it. Reaches everything this service keeps: the row and its
 * aliases, external ids, consent history, contacts, its timeline and the entries on other timelines
 * that describe it, stored idempotent responses, dead letters and events not yet published. Other
 * services drop theirs on `crm.customer.erased.v1`.
 */
export async function eraseCustomer(trx: Db, id: string, context: WriteContext): Promise<void> {
  const [row] = await lockCustomers(trx, [id]);
  const customer = visible(row, context.principal, id);
  if (customer.status === 'erased') return;
  if (customer.status === 'merged') active(customer);
  const now = context.runtime.now().toISOString();
  const aliases = await trx.selectFrom('customer').select(['id', 'emails', 'phones']).where('merged_into', '=', id).orderBy('id').execute();
  const mergedIds = aliases.map((r) => r.id);
  const ids = [id, ...mergedIds];
  const contactPoints = [customer, ...aliases].flatMap((r) => [...r.emails, ...r.phones]);
  await sql`update ${table('customer')} set status = 'erased', display_name = 'erased', given_name = null, family_name = null,
      organization_name = null, birth_date = null, emails = '{}', phones = '{}', addresses = '[]', attributes = '{}',
      field_updated_at = '{}', erased_at = ${now}, updated_at = ${now}, version = version + 1
    where id = any(${ids}::uuid[])`.execute(trx);
  for (const name of ['external_id', 'consent', 'timeline_entry'] as const) {
    await sql`delete from ${table(name)} where customer_id = any(${ids}::uuid[])`.execute(trx);
  }
  await sql`delete from ${table('contact')} where organization_id = any(${ids}::uuid[]) or person_id = any(${ids}::uuid[])`.execute(trx);
  // Another customer's history keeps that something happened, not who it was about.
  await sql`update ${table('timeline_entry')}
    set data = jsonb_strip_nulls(jsonb_build_object('changedFields', data->'changedFields', 'contact', 'erased')), mentioned_customer_id = null
    where mentioned_customer_id = any(${ids}::uuid[])`.execute(trx);
  await erasePlatformRecords(trx, ids, contactPoints);
  await context.outbox.append(trx, CustomerEvents.erased, { customerId: id, mergedIds });
  await addTimelineEntries(trx, [{ customerId: id, occurredAt: now, type: CustomerEvents.erased.type, source: context.source, data: {} }]);
}

/** Links a person to an organization with a buying role; the organization records the change. */
export async function addContact(
  trx: Db,
  organizationId: string,
  input: z.infer<typeof ContactInput>,
  context: WriteContext,
): Promise<z.infer<typeof ContactView>> {
  const rows = new Map((await lockCustomers(trx, [organizationId, input.personId])).map((row) => [row.id, row]));
  const organization = active(await withRevealableSurvivor(trx, visible(rows.get(organizationId), context.principal, organizationId), context.principal));
  const person = active(await withRevealableSurvivor(trx, visible(rows.get(input.personId), context.principal, input.personId), context.principal));
  if (organization.kind !== 'organization' || person.kind !== 'person') throw problem(CustomerProblems.notAnOrganization);
  const createdAt = context.runtime.now().toISOString();
  const contact = { id: context.runtime.newId(), organizationId, personId: person.id, buyingRole: input.buyingRole, jobTitle: input.jobTitle ?? null, createdAt };
  const inserted = await trx
    .insertInto('contact')
    .values({ id: contact.id, organization_id: organizationId, person_id: person.id, buying_role: contact.buyingRole, job_title: contact.jobTitle, created_at: createdAt })
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) throw problem(Problems.conflict, 'this person already has this buying role here');
  await sql`update ${table('customer')} set version = version + 1, updated_at = ${createdAt} where id = ${organizationId}`.execute(trx);
  const view = (await loadViews(trx, [organizationId])).get(organizationId) as CustomerView;
  await context.outbox.append(trx, CustomerEvents.updated, { customer: snapshotOf(view), changedFields: ['contacts'] });
  await addTimelineEntries(trx, [
    { customerId: organizationId, occurredAt: createdAt, type: CustomerEvents.updated.type, source: context.source, data: { changedFields: ['contacts'], contact }, mentionedCustomerId: person.id },
  ]);
  return contact;
}

/** Records a consent decision; the history keeps every one, the newest per channel is the current state. */
export async function recordConsent(
  trx: Db,
  id: string,
  consent: { channel: ConsentChannel; granted: boolean; source: string; recordedAt?: string | undefined },
  context: WriteContext,
): Promise<CustomerView> {
  const [row] = await lockCustomers(trx, [id]);
  active(await withRevealableSurvivor(trx, visible(row, context.principal, id), context.principal));
  const recordedAt = consent.recordedAt ?? context.runtime.now().toISOString();
  await trx
    .insertInto('consent')
    .values({ customer_id: id, channel: consent.channel, granted: consent.granted, source: consent.source, recorded_at: recordedAt })
    .execute();
  await sql`update ${table('customer')} set version = version + 1, updated_at = now() where id = ${id}`.execute(trx);
  const data = { customerId: id, channel: consent.channel, granted: consent.granted, source: consent.source, recordedAt: new Date(recordedAt).toISOString() };
  await context.outbox.append(trx, CustomerEvents.consentChanged, data);
  const view = (await loadViews(trx, [id])).get(id) as CustomerView;
  // Read models keep the current consents from snapshots (a backdated decision may change nothing).
  await context.outbox.append(trx, CustomerEvents.updated, { customer: snapshotOf(view), changedFields: ['consents'] });
  await addTimelineEntries(trx, [{ customerId: id, occurredAt: recordedAt, type: CustomerEvents.consentChanged.type, source: context.source, data }]);
  return view;
}
