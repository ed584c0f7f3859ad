import { randomUUID } from 'node:crypto';
import { asAdmin, deadPort, expectProblem, startGateway } from './harness';

describe('a dealer client while the customers service is down', () => {
  it('answers 502 problem+json and issues nothing: an unchecked dealer never gets a credential', async () => {
    const h = await startGateway({ env: { CUSTOMERS_URL: `http://127.0.0.1:${await deadPort()}` } });
    try {
      const refused = await h.inject({
        method: 'POST',
        url: '/v1/api-clients',
        headers: { ...asAdmin, 'idempotency-key': 'dealer-while-down' },
        payload: { name: 'portal', principal: { kind: 'dealer', subject: 'portal', dealerId: randomUUID() } },
      });
      expect(expectProblem(refused, 502, 'urn:crm:problem:bad-gateway').detail).toMatch(/customers service/);
      expect((await h.inject({ method: 'GET', url: '/v1/api-clients', headers: asAdmin })).json()).toEqual({ items: [], nextCursor: null });
      // Staff and integration clients need no dealer, and no customers service.
      const erp = await h.inject({ method: 'POST', url: '/v1/api-clients', headers: asAdmin, payload: { name: 'erp', principal: { kind: 'integration', subject: 'erp', system: 'erp' } } });
      expect(erp.statusCode).toBe(201);
    } finally {
      await h.close();
    }
  });
});
