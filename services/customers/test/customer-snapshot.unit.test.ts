import { CustomerEvents, CustomerSnapshot } from '@crm/domain';
import { toView } from '../src/customers/customer.model';
import { snapshotOf } from '../src/customers/customer.snapshot';

/** The events' snapshot is what topics retain: it must hold no direct identifier (docs/adr/0009). */
describe('the customer snapshot on the topics', () => {
  const view = toView(
    '0193a0c4-7b1e-7000-8000-000000000001',
    {
      kind: 'person',
      displayName: 'Ada Lovelace',
      givenName: 'Ada',
      familyName: 'Lovelace',
      organizationName: null,
      birthDate: '1815-12-10',
      lifecycleStage: 'active',
      roles: ['customer'],
      dealerId: null,
      emails: ['ada@example.com'],
      phones: ['+447700900123'],
      addresses: [{ kind: 'home', line1: '12 St James Square', postalCode: 'SW1Y 4JH', city: 'London', country: 'GB' }],
      attributes: { note: 'prefers calls after six' },
    },
    { externalIds: [{ system: 'erp', id: 'C-1' }], consents: { sms: { granted: true, source: 'hotline', recordedAt: '2026-01-01T00:00:00.000Z' } }, version: 3, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-02T00:00:00.000Z' },
  );

  it('carries no name, e-mail, phone, street, postal code or free-text attribute', () => {
    const onTheWire = JSON.stringify(CustomerEvents.created.data.parse({ customer: snapshotOf(view) }));
    for (const identifier of ['Ada', 'Lovelace', 'ada@example.com', '+447700900123', '447700900123', 'St James', 'SW1Y', 'prefers calls']) {
      expect([identifier, onTheWire.includes(identifier)]).toEqual([identifier, false]);
    }
    expect(JSON.parse(onTheWire)).toMatchObject({ customer: { id: view.id, city: 'London', country: 'GB', consents: { sms: true }, externalIds: [{ system: 'erp', id: 'C-1' }] } });
  });

  it('has no field for one in its schema', () => {
    const fields = Object.keys(CustomerSnapshot.shape);
    for (const forbidden of ['displayName', 'givenName', 'familyName', 'organizationName', 'emails', 'phones', 'addresses', 'attributes']) {
      expect(fields).not.toContain(forbidden);
    }
  });
});
