import { callerKeyOf, routeClassOf } from '../src/rate-limits/rate-limit.plugin';

const dealer = { kind: 'dealer', subject: 'portal', dealerId: '0190c8a0-0000-7000-8000-000000000001' } as const;

describe('rate-limit classes', () => {
  it.each([
    ['GET', '/v1/customers', 'reads'],
    ['HEAD', '/v1/customers/1', 'reads'],
    ['POST', '/v1/customers', 'writes'],
    ['DELETE', '/v1/api-clients/1', 'writes'],
    ['POST', '/v1/customers/batch', 'bulk'],
    ['POST', '/v1/transactions/batch?x=1', 'bulk'],
    ['POST', '/v1/%74ransactions/batch/', 'bulk'],
    ['POST', 'http://gateway/v1/anything/batch', 'bulk'],
    ['GET', '/v1/customers/batchx', 'reads'],
  ])('%s %s is %s', (method, url, routeClass) => {
    expect(routeClassOf({ method, url, principal: dealer })).toBe(routeClass);
  });

  it('counts requests without a principal as anonymous, per address', () => {
    expect(routeClassOf({ method: 'POST', url: '/oauth/token' })).toBe('anonymous');
    expect(callerKeyOf({ ip: '203.0.113.5' })).toBe('ip:203.0.113.5');
  });

  it('keys authenticated callers by principal, whatever their address', () => {
    expect(callerKeyOf({ ip: '10.0.0.1', principal: dealer })).toBe(callerKeyOf({ ip: '10.0.0.2', principal: dealer }));
    expect(callerKeyOf({ ip: '10.0.0.1', principal: dealer })).not.toBe(callerKeyOf({ ip: '10.0.0.1', principal: { ...dealer, dealerId: '0190c8a0-0000-7000-8000-000000000002' } }));
    expect(callerKeyOf({ ip: '10.0.0.1', principal: { kind: 'staff', subject: 'portal', roles: ['admin'] } })).not.toBe(callerKeyOf({ ip: '10.0.0.1', principal: dealer }));
  });
});
