import { Principal } from '@crm/domain';
import { problem, Problems, type Runtime } from '@crm/platform';
import { createSigner, createVerifier } from 'fast-jwt';
import { z } from 'zod';

export const TOKEN_ISSUER = 'crm-gateway';

export interface AccessTokenSubject {
  /** The OAuth client id the token was issued to (`sub`). */
  clientId: string;
  principal: Principal;
}

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
}

/** Issues and checks the gateway's access tokens: HS256 JWTs with the principal as a claim. */
export interface TokenService {
  issue(subject: AccessTokenSubject): IssuedToken;
  /** The token's subject; throws 401 problem for anything forged, malformed, foreign or expired. */
  verify(token: string): AccessTokenSubject;
}

const Claims = z.object({ sub: z.string().min(1), principal: Principal, iat: z.number(), exp: z.number() });

export function createTokenService(options: { secret: string; ttlSeconds: number; runtime: Runtime }): TokenService {
  const { secret, ttlSeconds, runtime } = options;
  const sign = createSigner({ key: secret, algorithm: 'HS256', iss: TOKEN_ISSUER });
  // Expiry is checked below against the injected clock, not fast-jwt's wall clock.
  const check = createVerifier({
    key: secret,
    algorithms: ['HS256'],
    allowedIss: TOKEN_ISSUER,
    requiredClaims: ['sub', 'iat', 'exp', 'iss'],
    ignoreExpiration: true,
  });
  const nowSeconds = () => Math.floor(runtime.now().getTime() / 1000);

  return {
    issue({ clientId, principal }) {
      const iat = nowSeconds();
      return { accessToken: sign({ sub: clientId, principal, iat, exp: iat + ttlSeconds }), expiresIn: ttlSeconds };
    },
    verify(token) {
      let payload: unknown;
      try {
        payload = check(token);
      } catch {
        throw problem(Problems.unauthenticated, 'the access token is not valid');
      }
      const claims = Claims.safeParse(payload);
      if (!claims.success) throw problem(Problems.unauthenticated, 'the access token is not valid');
      if (claims.data.exp <= nowSeconds()) throw problem(Problems.unauthenticated, 'the access token has expired');
      return { clientId: claims.data.sub, principal: claims.data.principal };
    },
  };
}
