import { createHash, timingSafeEqual } from 'node:crypto';
import type { Principal } from '@crm/domain';
import { problem, Problems, type Runtime } from '@crm/platform';
import { apiClientRepository, type GatewayDb } from '../api-clients/api-client.repository';
import type { ApiClient } from '../api-clients/api-client.model';
import { API_KEY_PREFIX, hashCredential } from '../api-clients/credentials';
import type { TokenService } from './token.service';
import { createTtlCache } from './ttl-cache';

/** The principal of the bootstrap admin key (`CRM_ADMIN_API_KEY`). */
export const BOOTSTRAP_ADMIN: Principal = { kind: 'staff', subject: 'bootstrap-admin', roles: ['admin'] };

export interface Authenticator {
  /** The principal a bearer token stands for; throws 401 problem for unknown, revoked or expired credentials. */
  authenticate(token: string): Promise<Principal>;
  /** Drops cached lookups, e.g. after a revocation, so this replica refuses the credentials at once. */
  forgetCached(): void;
}

export interface AuthenticatorOptions {
  db: GatewayDb;
  tokens: TokenService;
  adminApiKey: string;
  /** How long an active client's lookup is reused; other replicas see a revocation after at most this. */
  cacheSeconds: number;
  runtime: Runtime;
}

const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;
const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** API keys (the bootstrap key or a client's) and the access tokens of `POST /oauth/token`. */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const { db, tokens, runtime } = options;
  const adminKeyDigest = sha256(options.adminApiKey);
  const activeClients = createTtlCache<ApiClient>({
    ttlMs: options.cacheSeconds * 1000,
    maxEntries: 10_000,
    now: () => runtime.now().getTime(),
  });

  /** Only active clients are cached: a revocation never hides behind a cached "no". */
  async function activeClient(cacheKey: string, find: () => Promise<ApiClient | undefined>): Promise<ApiClient | undefined> {
    const cached = activeClients.get(cacheKey);
    if (cached) return cached;
    const found = await find();
    if (found) activeClients.set(cacheKey, found);
    return found;
  }

  return {
    async authenticate(token) {
      if (timingSafeEqual(sha256(token), adminKeyDigest)) return BOOTSTRAP_ADMIN;
      if (token.startsWith(API_KEY_PREFIX)) {
        const apiKeyHash = hashCredential(token);
        const client = await activeClient(`key:${apiKeyHash}`, () => apiClientRepository.findActiveByApiKeyHash(db, apiKeyHash));
        if (!client) throw problem(Problems.unauthenticated, 'the API key is not valid or was revoked');
        return client.principal;
      }
      if (JWT_SHAPE.test(token)) {
        const subject = tokens.verify(token);
        // Checked on every request: a token never outlives its client's revocation.
        const client = await activeClient(`client:${subject.clientId}`, () => apiClientRepository.findActiveByClientId(db, subject.clientId));
        if (!client) throw problem(Problems.unauthenticated, 'the client this access token was issued to was revoked');
        return subject.principal;
      }
      throw problem(Problems.unauthenticated, 'the bearer token is neither an API key nor an access token');
    },
    forgetCached: () => activeClients.clear(),
  };
}
