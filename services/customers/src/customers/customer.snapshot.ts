import type { CustomerSnapshot } from '@crm/domain';
import type { CustomerView } from './customers.schemas';

/** What other services may keep of a customer: the event-carried state of created/updated/merged (no direct identifiers). */
export function snapshotOf(view: CustomerView): CustomerSnapshot {
  const address = view.addresses[0];
  return {
    id: view.id,
    kind: view.kind,
    birthDate: view.birthDate,
    lifecycleStage: view.lifecycleStage,
    roles: view.roles,
    dealerId: view.dealerId,
    city: address?.city ?? null,
    region: address?.region ?? null,
    country: address?.country ?? null,
    externalIds: view.externalIds,
    consents: Object.fromEntries(Object.entries(view.consents).map(([channel, consent]) => [channel, consent.granted])),
    version: view.version,
  };
}
