import { createSigner } from 'fast-jwt';
import { ProblemError } from '@crm/platform';
import { createTokenService } from '../src/authentication/token.service';

const SECRET = 'unit-test-jwt-secret-0123456789abcdefghij';
const principal = { kind: 'integration', subject: 'erp', system: 'erp' } as const;

function clockAt(iso: string) {
  let now = new Date(iso).getTime();
  return { now: () => new Date(now), newId: () => 'id', advance: (seconds: number) => void (now += seconds * 1000) };
}

const reasonOf = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    if (error instanceof ProblemError && error.problem.status === 401) return error.detail ?? '';
    throw error;
  }
  throw new Error('expected a 401 problem');
};

describe('token service', () => {
  it('issues a token that verifies to its subject, with iat/exp from the injected clock', () => {
    const clock = clockAt('2026-01-01T00:00:00Z');
    const tokens = createTokenService({ secret: SECRET, ttlSeconds: 900, runtime: clock });
    const issued = tokens.issue({ clientId: 'cid_1', principal });
    expect(issued.expiresIn).toBe(900);
    const claims = JSON.parse(Buffer.from(issued.accessToken.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toEqual({ sub: 'cid_1', principal, iss: 'crm-gateway', iat: 1767225600, exp: 1767226500 });
    expect(tokens.verify(issued.accessToken)).toEqual({ clientId: 'cid_1', principal });
  });

  it('refuses a token once the clock passes exp', () => {
    const clock = clockAt('2026-01-01T00:00:00Z');
    const tokens = createTokenService({ secret: SECRET, ttlSeconds: 60, runtime: clock });
    const { accessToken } = tokens.issue({ clientId: 'cid_1', principal });
    clock.advance(59);
    expect(tokens.verify(accessToken).clientId).toBe('cid_1');
    clock.advance(1);
    expect(reasonOf(() => tokens.verify(accessToken))).toMatch(/expired/);
  });

  it('refuses forged, foreign and malformed tokens', () => {
    const clock = clockAt('2026-01-01T00:00:00Z');
    const tokens = createTokenService({ secret: SECRET, ttlSeconds: 60, runtime: clock });
    const claims = { sub: 'cid_1', principal, iat: 1767225600, exp: 1767225660 };
    const bad = {
      otherKey: createSigner({ key: `${SECRET}x`, iss: 'crm-gateway' })(claims),
      otherIssuer: createSigner({ key: SECRET, iss: 'elsewhere' })(claims),
      noIssuer: createSigner({ key: SECRET })(claims),
      hs512: createSigner({ key: SECRET, algorithm: 'HS512', iss: 'crm-gateway' })(claims),
      badPrincipal: createSigner({ key: SECRET, iss: 'crm-gateway' })({ ...claims, principal: { kind: 'root' } }),
      noExpiry: createSigner({ key: SECRET, iss: 'crm-gateway', noTimestamp: true })({ sub: 'cid_1', principal }),
      garbage: 'a.b.c',
    };
    for (const [name, token] of Object.entries(bad)) {
      expect([name, reasonOf(() => tokens.verify(token))]).toEqual([name, 'the access token is not valid']);
    }
  });
});
