import type { Principal } from '@crm/domain';
import { decodeCursor, idempotencyScope, onceForKey, paginate, problem, Problems, requestHash, type Runtime } from '@crm/platform';
import { z } from 'zod';
import { apiClientRepository, type GatewayDb } from './api-client.repository';
import type { ApiClient } from './api-client.model';
import { hashCredential, newApiKey, newClientId, newClientSecret } from './credentials';
import type { DealerDirectory } from './dealer-directory';
import { GatewayProblems } from '../gateway.problems';
import type { SealedBox } from './sealed-box';

/** An API client as the API shows it: never a credential or a hash. */
export interface ApiClientView {
  id: string;
  name: string;
  principal: Principal;
  clientId: string;
  createdAt: string;
  revokedAt: string | null;
}

/** The answer to a creation: the only time the API key and the client secret are shown. */
export interface CreatedApiClientView extends ApiClientView {
  apiKey: string;
  clientSecret: string;
}

export interface NewApiClientInput {
  name: string;
  principal: Principal;
}

export interface ApiClientService {
  create(caller: Principal, input: NewApiClientInput, idempotencyKey: string | undefined): Promise<CreatedApiClientView>;
  list(page: { limit: number; cursor?: string }): Promise<{ items: ApiClientView[]; nextCursor: string | null }>;
  revoke(id: string): Promise<void>;
}

export const apiClientView = (client: ApiClient): ApiClientView => ({
  id: client.id,
  name: client.name,
  principal: client.principal,
  clientId: client.clientId,
  createdAt: client.createdAt.toISOString(),
  revokedAt: client.revokedAt?.toISOString() ?? null,
});

/** What the idempotency table keeps: the view, and the two credentials sealed (never in clear). */
const StoredCreation = z.object({ client: z.custom<ApiClientView>(), sealedCredentials: z.string() });
const Credentials = z.object({ apiKey: z.string(), clientSecret: z.string() });

const IdCursor = z.object({ id: z.uuid() });

export function createApiClientService(deps: {
  db: GatewayDb;
  runtime: Runtime;
  /** Seals the credentials an idempotent replay must answer with again. */
  replayBox: SealedBox;
  /** Called after a revocation, so this replica forgets the credentials at once. */
  onRevoked: () => void;
  /** A dealer client must name a dealer that exists: a credential that sees nothing helps no one. */
  dealers: DealerDirectory;
}): ApiClientService {
  const { db, runtime, replayBox } = deps;

  return {
    async create(caller, input, idempotencyKey) {
      const { principal } = input;
      if (principal.kind === 'dealer' && !(await deps.dealers.exists(principal.dealerId))) {
        throw problem(GatewayProblems.unknownDealer, `dealer ${principal.dealerId} does not exist; create it with POST /v1/dealers first`);
      }
      if (principal.kind === 'account' && !(await deps.dealers.organizationExists(principal.customerId))) {
        throw problem(GatewayProblems.unknownOrganization, `customer ${principal.customerId} is not an organisation customer; account users belong to an existing organisation`);
      }
      const stored = await db.transaction().execute((trx) =>
        onceForKey(
          trx,
          { scope: idempotencyScope('api-clients.create', caller), key: idempotencyKey, hash: requestHash(input) },
          async () => {
            const apiKey = newApiKey();
            const clientSecret = newClientSecret();
            const client = await apiClientRepository.insert(trx, {
              id: runtime.newId(),
              name: input.name,
              principal: input.principal,
              apiKeyHash: hashCredential(apiKey),
              clientId: newClientId(),
              clientSecretHash: hashCredential(clientSecret),
              createdAt: runtime.now(),
            });
            const body = { client: apiClientView(client), sealedCredentials: replayBox.seal(JSON.stringify({ apiKey, clientSecret })) };
            return { statusCode: 201, body };
          },
        ),
      );
      const { client, sealedCredentials } = StoredCreation.parse(stored.body);
      const opened = replayBox.open(sealedCredentials);
      if (opened === undefined) {
        throw problem(GatewayProblems.replayUnavailable, 'the credentials of this request were sealed with another key; send a new Idempotency-Key');
      }
      return { ...client, ...Credentials.parse(JSON.parse(opened)) };
    },

    async list({ limit, cursor }) {
      const after = decodeCursor(cursor, IdCursor);
      const clients = await apiClientRepository.list(db, { after: after?.id, limit: limit + 1 });
      return paginate(clients, limit, apiClientView, (client) => ({ id: client.id }));
    },

    async revoke(id) {
      const outcome = await apiClientRepository.revoke(db, id, runtime.now());
      if (outcome === 'not-found') throw problem(Problems.notFound, `no API client ${id}`);
      deps.onRevoked();
    },
  };
}
