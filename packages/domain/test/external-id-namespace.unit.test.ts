import { CustomerSnapshot, externalIdNamespace, namespaceOf, SHARED_NAMESPACE } from '../src';

const dealerId = '00000000-0000-4000-8000-000000000001';

describe('external-id namespaces', () => {
  it('puts staff and integrations in the shared namespace and each dealer in its own', () => {
    expect(externalIdNamespace({ kind: 'staff', subject: 's', roles: ['admin'] })).toBe(SHARED_NAMESPACE);
    expect(externalIdNamespace({ kind: 'integration', subject: 'erp', system: 'erp' })).toBe(SHARED_NAMESPACE);
    expect(externalIdNamespace({ kind: 'dealer', subject: 'd', dealerId })).toBe(`dealer:${dealerId}`);
  });

  it('reads snapshots without a namespace (older events) as shared, and refuses a made-up namespace', () => {
    const snapshot = {
      id: dealerId,
      kind: 'person',
      displayName: 'x',
      birthDate: null,
      lifecycleStage: 'active',
      roles: ['customer'],
      dealerId: null,
      city: null,
      region: null,
      country: null,
      consents: {},
    };
    const old = CustomerSnapshot.parse({ ...snapshot, externalIds: [{ system: 'erp', id: 'C-1' }] });
    expect(old.externalIds.map(namespaceOf)).toEqual([SHARED_NAMESPACE]);
    const namespaced = CustomerSnapshot.parse({ ...snapshot, externalIds: [{ system: 'erp', id: 'C-1', namespace: `dealer:${dealerId}` }] });
    expect(namespaced.externalIds.map(namespaceOf)).toEqual([`dealer:${dealerId}`]);
    expect(CustomerSnapshot.safeParse({ ...snapshot, externalIds: [{ system: 'erp', id: 'C-1', namespace: 'mine' }] }).success).toBe(false);
  });
});
