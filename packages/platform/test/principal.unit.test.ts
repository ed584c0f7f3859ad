import { PRINCIPAL_HEADER, PRINCIPAL_MAX_AGE_SECONDS, ProblemError, routedPathOf, signPrincipal, verifyPrincipal } from '../src';

const secret = 'unit-test-secret-0123456789-0123456789';
const principal = { kind: 'dealer' as const, subject: 'd1', dealerId: '0190c8a0-0000-7000-8000-000000000001' };
const getCustomer = { method: 'GET', url: '/v1/customers/0190c8a0-0000-7000-8000-00000000000a' };
const now = new Date('2026-11-29T10:00:00Z');
const secondsLater = (seconds: number) => new Date(now.getTime() + seconds * 1000);

/** The 401 problem's detail, or a failure when the principal was accepted. */
function refusal(attempt: () => unknown): string {
  try {
    attempt();
  } catch (error) {
    expect(error).toBeInstanceOf(ProblemError);
    expect((error as ProblemError).problem).toMatchObject({ status: 401, type: 'urn:crm:problem:unauthenticated' });
    return (error as ProblemError).detail ?? '';
  }
  throw new Error('the principal was accepted');
}

describe('signed principals', () => {
  const headers = signPrincipal(principal, secret, getCustomer, now);

  it('verifies what it signed, for the same request, within the expiry', () => {
    expect(verifyPrincipal(headers, secret, getCustomer, now)).toEqual(principal);
    expect(verifyPrincipal(headers, secret, getCustomer, secondsLater(PRINCIPAL_MAX_AGE_SECONDS))).toEqual(principal);
    // The query is not bound (the proxy re-serialises it); the path is.
    expect(verifyPrincipal(headers, secret, { ...getCustomer, url: `${getCustomer.url}?limit=5` }, now)).toEqual(principal);
  });

  it('refuses a principal replayed on another method', () => {
    for (const method of ['DELETE', 'PATCH', 'HEAD', 'POST']) {
      expect(refusal(() => verifyPrincipal(headers, secret, { ...getCustomer, method }, now))).toMatch(/another request/);
    }
  });

  it('refuses a principal replayed on another path', () => {
    for (const url of ['/v1/customers/0190c8a0-0000-7000-8000-00000000000b', '/v1/customers', `${getCustomer.url}/timeline`, `${getCustomer.url}/`, '/v1/api-clients']) {
      expect(refusal(() => verifyPrincipal(headers, secret, { ...getCustomer, url }, now))).toMatch(/another request/);
    }
  });

  it('refuses an expired principal, and one dated too far ahead', () => {
    expect(refusal(() => verifyPrincipal(headers, secret, getCustomer, secondsLater(PRINCIPAL_MAX_AGE_SECONDS + 1)))).toMatch(/expired/);
    expect(refusal(() => verifyPrincipal(headers, secret, getCustomer, secondsLater(-PRINCIPAL_MAX_AGE_SECONDS - 1)))).toMatch(/expired/);
  });

  it('refuses missing, tampered and foreign signatures', () => {
    const payload = (fields: object) => Buffer.from(JSON.stringify(fields)).toString('base64url');
    const iat = Math.floor(now.getTime() / 1000);
    const tampered = [
      // another dealer, another path, another method, under the original signature
      { ...headers, [PRINCIPAL_HEADER]: payload({ principal: { ...principal, dealerId: '0190c8a0-0000-7000-8000-000000000002' }, iat, method: 'GET', path: routedPathOf(getCustomer.url) }) },
      { ...headers, [PRINCIPAL_HEADER]: payload({ principal, iat, method: 'GET', path: '/v1/customers' }) },
      { ...headers, [PRINCIPAL_HEADER]: payload({ principal, iat, method: 'DELETE', path: routedPathOf(getCustomer.url) }) },
    ];
    for (const attempt of [{}, { [PRINCIPAL_HEADER]: headers[PRINCIPAL_HEADER] }, ...tampered, signPrincipal(principal, `${secret}-other`, getCustomer, now)]) {
      refusal(() => verifyPrincipal(attempt, secret, getCustomer, now));
    }
  });
});

describe('the routed path a principal is bound to', () => {
  it.each([
    ['/v1/customers', '/v1/customers'],
    ['/v1/customers?limit=5#top', '/v1/customers'],
    ['/%761/customers', '/v1/customers'],
    ['/v1/%63ustomers/%E6%9D%8E', '/v1/customers/李'],
    ['http://127.0.0.1:8081/v1/customers?x=1', '/v1/customers'],
    ['HTTPS://evil.example/v1/customers', '/v1/customers'],
    ['http://127.0.0.1:8081', '/'],
    // Reserved characters stay escaped (upper case), as the router keeps them apart from separators.
    ['/v1/customers/a%2fb', '/v1/customers/a%2Fb'],
    ['/v1/customers/a%3Fb', '/v1/customers/a%3Fb'],
    ['/v1/customers/100%25', '/v1/customers/100%25'],
    ['/v1/customers/%zz', '/v1/customers/%zz'],
  ])('%s → %s', (url, path) => {
    expect(routedPathOf(url)).toBe(path);
  });

  it('binds an absolute-form or escaped target to the same route as its plain path', () => {
    const headers = signPrincipal(principal, secret, { method: 'GET', url: '/v1/customers' }, now);
    expect(verifyPrincipal(headers, secret, { method: 'get', url: 'http://customers:8081/v1/%63ustomers' }, now)).toEqual(principal);
    expect(refusal(() => verifyPrincipal(headers, secret, { method: 'GET', url: 'http://customers:8081/v1/customers/x' }, now))).toMatch(/another request/);
  });
});
