import { CustomerEvents, externalIdNamespace, SHARED_NAMESPACE, type ExternalId, type NamespacedExternalId } from '@crm/domain';
import { dealerScope, etagOf, ifMatchHolds, lockForTransaction, Problems, type ProblemType } from '@crm/platform';
import { attributeErrors } from '../attribute-definitions/attribute.rules';
import { attributeDefinitionRepository, type AttributeRule } from '../attribute-definitions/attribute-definitions.repository';
import { dealerRepository } from '../dealers/dealers.repository';
import type { WriteContext } from '../dependencies';
import { timelineRepository } from '../timeline/timeline.repository';
import { applyInput, changedFields, externalKey, fieldsSetBy, namespacedKey, toView, type CustomerField } from './customer.model';
import { CustomerProblems } from './customer.problems';
import { snapshotOf } from './customer.snapshot';
import { notFoundMessage, revealableSurvivors } from './customer.visibility';
import { customerRepository, stateOf, type CustomerRow, type CustomerWrite, type Db } from './customers.repository';
import type { CustomerInput, CustomerView } from './customers.schemas';

export type CustomerRef =
  | { kind: 'new' }
  | { kind: 'id'; id: string; ifMatch?: string | undefined; requireIfMatch?: boolean }
  | { kind: 'external'; externalId: ExternalId; ifMatch?: string | undefined };

export interface UpsertItem {
  ref: CustomerRef;
  input: CustomerInput;
}

export interface ItemError {
  problem: ProblemType;
  message: string;
  /** For a merged customer: where it lives now. */
  survivorId?: string;
}

export type ItemResult =
  | { status: 'created' | 'updated' | 'unchanged'; id: string; version: number; changedFields: CustomerField[] }
  | { status: 'error'; error: ItemError };

const fail = (problem: ProblemType, message: string, survivorId?: string): ItemResult => ({
  status: 'error',
  error: { problem, message, ...(survivorId ? { survivorId } : {}) },
});

/** The names under which an item claims a customer within one batch. */
function refKeys(ref: CustomerRef, targetId: string | undefined): string[] {
  return [...(targetId ? [`id:${targetId}`] : []), ...(ref.kind === 'external' ? [`ext:${externalKey(ref.externalId)}`] : [])];
}

/**
 * The one write path for customers: create, upsert by external id, PATCH and batch all come here.
 * Set-based: a fixed number of statements whatever the item count. Items fail one by one, never
 * half-written; must run inside a transaction, which the caller commits.
 */
export async function upsertCustomers(
  trx: Db,
  items: UpsertItem[],
  context: WriteContext,
): Promise<{ results: ItemResult[]; views: Map<string, CustomerView> }> {
  const { principal, outbox, runtime } = context;
  const now = runtime.now().toISOString();
  const today = now.slice(0, 10);
  const scope = dealerScope(principal);
  // Ids are claimed in the principal's namespace; a dealer also resolves (never claims) shared ids of its own customers.
  const namespace = externalIdNamespace(principal);

  const referencedExternalIds = items.flatMap((item) => [
    ...(item.ref.kind === 'external' ? [item.ref.externalId] : []),
    ...(item.input.externalIds ?? []),
  ]);
  await lockForTransaction(trx, referencedExternalIds.map((externalId) => namespacedKey(namespace, externalId)));
  const owners = await customerRepository.externalIdOwners(trx, referencedExternalIds, scope ? [namespace, SHARED_NAMESPACE] : [namespace]);
  const ownerIn = (ns: string, externalId: ExternalId) => owners.get(namespacedKey(ns, externalId));
  const candidates = items.flatMap(({ ref }) =>
    ref.kind === 'id' ? [ref.id] : ref.kind === 'external' ? [ownerIn(namespace, ref.externalId), scope ? ownerIn(SHARED_NAMESPACE, ref.externalId) : undefined] : [],
  );
  const rows = new Map((await customerRepository.lockByIds(trx, [...new Set(candidates.filter((id) => id !== undefined))])).map((r) => [r.id, r]));
  const targets = items.map(({ ref }) => {
    if (ref.kind !== 'external') return ref.kind === 'id' ? ref.id : undefined;
    const shared = scope ? ownerIn(SHARED_NAMESPACE, ref.externalId) : undefined;
    return ownerIn(namespace, ref.externalId) ?? (shared && rows.get(shared)?.dealer_id === scope ? shared : undefined);
  });
  // A dealer is told where a merged customer went only when the survivor is its own as well.
  const revealable = await revealableSurvivors(trx, [...rows.values()].flatMap((r) => (r.merged_into ? [r.merged_into] : [])), principal);

  const needDefinitions = items.some((item) => item.input.attributes && Object.keys(item.input.attributes).length > 0);
  const definitions = needDefinitions
    ? new Map((await attributeDefinitionRepository.rules(trx)).map((d) => [d.name, d]))
    : new Map<string, AttributeRule>();
  const namedDealers = [...new Set([...items.map((i) => i.input.dealerId), scope].filter((id): id is string => typeof id === 'string'))];
  const knownDealers = new Set(
    await dealerRepository.existingIds(trx, namedDealers),
  );

  const seen = new Set<string>();
  const creates: CustomerWrite[] = [];
  const updates: (CustomerWrite & { changed: CustomerField[] })[] = [];
  const links: { customerId: string; externalId: ExternalId }[] = [];
  const results: ItemResult[] = items.map((item, position) => {
    const targetId = targets[position];
    const keys = refKeys(item.ref, targetId);
    if (keys.some((key) => seen.has(key))) return fail(CustomerProblems.duplicateInBatch, 'an earlier item of this batch names the same customer');
    keys.forEach((key) => seen.add(key));

    const row: CustomerRow | undefined = targetId ? rows.get(targetId) : undefined;
    const foreign = row !== undefined && scope !== undefined && row.dealer_id !== scope;
    if (item.ref.kind === 'id' && (!row || foreign)) return fail(Problems.notFound, notFoundMessage(item.ref.id));
    // Only an id of the dealer's own namespace can name another dealer's customer (staff reassigned it since).
    if (foreign) return fail(CustomerProblems.externalIdTaken, 'the external id is in use in your namespace');
    if (row?.status === 'merged') {
      if (!row.merged_into || !revealable.has(row.merged_into)) return fail(Problems.notFound, notFoundMessage(row.id));
      return fail(CustomerProblems.customerMerged, `customer ${row.id} was merged into ${row.merged_into}`, row.merged_into);
    }
    if (row?.status === 'erased') return fail(CustomerProblems.customerErased, `customer ${row.id} was erased`);
    const ifMatch = item.ref.kind === 'new' ? undefined : item.ref.ifMatch;
    if (ifMatch === undefined && item.ref.kind === 'id' && item.ref.requireIfMatch) {
      return fail(Problems.preconditionRequired, 'send If-Match with the ETag from your last read');
    }
    if (ifMatch !== undefined) {
      if (!row || !ifMatchHolds(ifMatch, row.version)) {
        return fail(Problems.preconditionFailed, row ? `the current ETag is ${etagOf(row.version)}` : 'the customer does not exist yet');
      }
    }

    let input = item.input;
    if (scope) {
      if (input.dealerId !== undefined && input.dealerId !== scope) return fail(Problems.forbidden, 'a dealer may only assign customers to itself');
      if (!row) input = { ...input, dealerId: scope };
    }
    if (typeof input.dealerId === 'string' && !knownDealers.has(input.dealerId)) {
      return fail(CustomerProblems.unknownDealer, `dealer ${input.dealerId} does not exist`);
    }
    const attributeProblems = attributeErrors(input.attributes ?? {}, definitions);
    if (attributeProblems.length) return fail(Problems.validation, attributeProblems.join('; '));

    const current = row ? stateOf(row) : undefined;
    const applied = applyInput(current, input, today);
    if (!applied.ok) return fail(CustomerProblems.invalidCustomer, applied.message);

    const id = row?.id ?? runtime.newId();
    const externalIds = [...(item.ref.kind === 'external' ? [item.ref.externalId] : []), ...(input.externalIds ?? [])];
    for (const externalId of externalIds) {
      const owner = ownerIn(namespace, externalId);
      if (owner && owner !== id) {
        // A dealer never learns the id of a customer it may not see.
        return fail(CustomerProblems.externalIdTaken, `${externalId.system}/${externalId.id} belongs to ${scope ? 'another customer' : `customer ${owner}`}`);
      }
      const linkKey = `ext:${externalKey(externalId)}`;
      if (!owner && item.ref.kind !== 'external' && seen.has(linkKey)) {
        return fail(CustomerProblems.duplicateInBatch, `${externalId.system}/${externalId.id} is claimed by an earlier item`);
      }
      seen.add(linkKey);
    }
    // Already this customer's (in the principal's namespace, or a shared id a dealer resolved by): nothing to link.
    const newLinks = externalIds.filter((e) => ownerIn(namespace, e) === undefined && !(scope && ownerIn(SHARED_NAMESPACE, e) === id));
    for (const externalId of newLinks) {
      owners.set(namespacedKey(namespace, externalId), id);
      links.push({ customerId: id, externalId });
    }

    if (!row) {
      creates.push({ id, state: applied.state, fieldUpdatedAt: fieldsSetBy(input, now), at: now });
      return { status: 'created', id, version: 1, changedFields: [] };
    }
    const changed = changedFields(applied.state, current!);
    if (changed.length === 0 && newLinks.length === 0) return { status: 'unchanged', id, version: row.version, changedFields: [] };
    const fieldUpdatedAt = { ...(row.field_updated_at), ...Object.fromEntries(changed.map((f) => [f, now])) };
    updates.push({ id, state: applied.state, fieldUpdatedAt, at: now, changed });
    return { status: 'updated', id, version: row.version + 1, changedFields: changed };
  });

  await customerRepository.insertMany(trx, creates);
  await customerRepository.updateMany(trx, updates);
  await customerRepository.addExternalIds(trx, namespace, links);
  // New customers are exactly what was just written; only changed ones need a read back.
  const views = await customerRepository.loadViews(trx, updates.map((w) => w.id));
  // As loadViews shows them: a dealer's ids with their namespace, so events carry it to other services.
  const linksOf = new Map<string, NamespacedExternalId[]>();
  for (const { customerId, externalId } of links) {
    linksOf.set(customerId, [...(linksOf.get(customerId) ?? []), namespace === SHARED_NAMESPACE ? externalId : { ...externalId, namespace }]);
  }
  for (const write of creates) {
    const externalIds = linksOf.get(write.id) ?? [];
    views.set(write.id, toView(write.id, write.state, { externalIds, consents: {}, version: 1, createdAt: now, updatedAt: now }));
  }
  const viewOf = (id: string) => views.get(id) as CustomerView;
  await outbox.appendMany(trx, CustomerEvents.created, creates.map((w) => ({ customer: snapshotOf(viewOf(w.id)) })));
  await outbox.appendMany(
    trx,
    CustomerEvents.updated,
    updates.map((w) => ({ customer: snapshotOf(viewOf(w.id)), changedFields: w.changed.length ? w.changed : ['externalIds'] })),
  );
  await timelineRepository.addEntries(trx, [
    ...creates.map((w) => ({ customerId: w.id, occurredAt: now, type: CustomerEvents.created.type, source: context.source, data: {} })),
    ...updates.map((w) => ({ customerId: w.id, occurredAt: now, type: CustomerEvents.updated.type, source: context.source, data: { changedFields: w.changed } })),
  ]);
  return { results, views };
}

