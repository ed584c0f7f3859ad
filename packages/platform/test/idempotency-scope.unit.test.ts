import { idempotencyScope } from '../src/idempotency-scope';

describe('idempotencyScope', () => {
  it('tells apart callers that share a subject: kind, dealer and integration system are part of the scope', () => {
    const scopes = [
      idempotencyScope('customers.create', { kind: 'staff', subject: 'portal', roles: ['sales'] }),
      idempotencyScope('customers.create', { kind: 'dealer', subject: 'portal', dealerId: '00000000-0000-4000-8000-000000000001' }),
      idempotencyScope('customers.create', { kind: 'dealer', subject: 'portal', dealerId: '00000000-0000-4000-8000-000000000002' }),
      idempotencyScope('customers.create', { kind: 'integration', subject: 'portal', system: 'erp' }),
      idempotencyScope('customers.create', { kind: 'integration', subject: 'portal', system: 'batch' }),
      idempotencyScope('customers.contact', { kind: 'staff', subject: 'portal', roles: ['sales'] }),
    ];
    expect(new Set(scopes).size).toBe(scopes.length);
    expect(scopes[1]).toBe('customers.create:dealer:00000000-0000-4000-8000-000000000001:portal');
  });

  it('is the same for the same caller, whatever its roles', () => {
    expect(idempotencyScope('x', { kind: 'staff', subject: 's', roles: ['admin'] })).toBe(idempotencyScope('x', { kind: 'staff', subject: 's', roles: ['sales', 'agent'] }));
  });
});
