import { verifyPrincipal } from '@crm/platform';
import { forwardedPathOf, routedTargetOf, upstreamRequestHeaders } from '../src/proxy/upstream-proxy.plugin';
import { isUnderPrefix } from '../src/proxy/upstreams';

const SECRET = 'unit-test-internal-secret-0123456789abcdef';
const principal = { kind: 'dealer', subject: 'd1', dealerId: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b' } as const;
const request = { principal, id: 'req-1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', ip: '10.0.0.9', protocol: 'https' as const, host: 'api.example.com', method: 'GET', url: '/v1/customers/42?limit=5' };
const runtime = { now: () => new Date(), newId: () => 'id' };

describe('upstream request headers', () => {
  const headers = upstreamRequestHeaders(
    request,
    {
      authorization: 'Bearer crm_secret',
      'x-crm-principal': 'forged',
      'x-crm-principal-signature': 'forged',
      'x-crm-principal-anything': 'forged',
      'x-request-id': 'client-chosen',
      traceparent: '00-ffffffffffffffffffffffffffffffff-ffffffffffffffff-01',
      'x-forwarded-for': '203.0.113.7',
      accept: 'application/json',
    },
    { internalSecret: SECRET, runtime },
  );

  it('drops the client credentials and forged principals, keeping the rest', () => {
    expect(headers).not.toHaveProperty('authorization');
    expect(headers).not.toHaveProperty('x-crm-principal-anything');
    expect(headers.accept).toBe('application/json');
  });

  it('adds a principal the upstream can verify, for this method and path only', () => {
    expect(verifyPrincipal(headers, SECRET, { method: 'GET', url: '/v1/customers/42' })).toEqual(principal);
    expect(() => verifyPrincipal(headers, SECRET, { method: 'DELETE', url: '/v1/customers/42' })).toThrow(/another request/);
    expect(() => verifyPrincipal(headers, SECRET, { method: 'GET', url: '/v1/customers/43' })).toThrow(/another request/);
  });

  it('never forwards Expect: the gateway answered 100 Continue itself, and undici refuses the header', () => {
    const withExpect = upstreamRequestHeaders(request, { expect: '100-continue', 'content-type': 'application/x-ndjson' }, { internalSecret: SECRET, runtime });
    expect(withExpect).not.toHaveProperty('expect');
    expect(withExpect['content-type']).toBe('application/x-ndjson');
  });

  it('forwards this hop\'s request id, trace context and client address', () => {
    expect(headers).toMatchObject({
      'x-request-id': 'req-1',
      traceparent: request.traceparent,
      'x-forwarded-for': '203.0.113.7, 10.0.0.9',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'api.example.com',
    });
  });
});

describe('the path a principal is signed for', () => {
  it.each([
    ['/v1/customers?limit=5', '/v1/customers'],
    ['http://gateway.example/v1/customers?limit=5', '/v1/customers'],
    ['/v1/customers/a b', '/v1/customers/a%20b'],
    ['/v1/customers\\x', '/v1/customers/x'],
    ['//v1/customers', '//v1/customers'],
  ])('%s is forwarded as %s', (url, path) => {
    expect(forwardedPathOf(url)).toBe(path);
  });

  it('forwards an absolute-form target in origin-form', () => {
    expect(routedTargetOf('http://gateway.example/v1/customers?limit=5')).toBe('/v1/customers?limit=5');
    expect(routedTargetOf('/v1/customers?limit=5')).toBe('/v1/customers?limit=5');
  });
});

describe('prefix ownership', () => {
  it.each([
    ['/v1/customers', true],
    ['/v1/customers/1/contacts', true],
    ['/v1/customersx', false],
    ['/v1/customer', false],
  ])('%s is under /v1/customers: %s', (path, expected) => {
    expect(isUnderPrefix(path, ['/v1/customers'])).toBe(expected);
  });

  it.each([
    ['/v1/customers/{id}/scores', true],
    ['/v1/customers/0190/scores', true],
    ['/v1/customers/0190/scores/history', true],
    ['/v1/customers/{id}/timeline', false],
    ['/v1/customers//scores', false],
    ['/v1/customers/scores', false],
  ])('%s is under /v1/customers/:id/scores: %s', (path, expected) => {
    expect(isUnderPrefix(path, ['/v1/customers/:id/scores'])).toBe(expected);
  });
});
