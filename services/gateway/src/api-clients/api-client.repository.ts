import { Principal } from '@crm/domain';
import type { Kysely } from 'kysely';
import type { ApiClient, NewApiClient } from './api-client.model';
import type { ApiClientRow, GatewayDatabase } from '../db/tables';

export type GatewayDb = Kysely<GatewayDatabase>;

const toApiClient = (row: ApiClientRow): ApiClient => ({
  id: row.id,
  name: row.name,
  principal: Principal.parse(row.principal),
  clientId: row.client_id,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});

export type RevokeOutcome = 'revoked' | 'already-revoked' | 'not-found';

/** Every query on `api_client`; each takes the database or a transaction first. */
export const apiClientRepository = Object.freeze({
  async insert(db: GatewayDb, client: NewApiClient): Promise<ApiClient> {
    const row = await db
      .insertInto('api_client')
      .values({
        id: client.id,
        name: client.name,
        principal: JSON.stringify(client.principal),
        api_key_hash: client.apiKeyHash,
        client_id: client.clientId,
        client_secret_hash: client.clientSecretHash,
        created_at: client.createdAt,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toApiClient(row);
  },

  async findActiveByApiKeyHash(db: GatewayDb, apiKeyHash: string): Promise<ApiClient | undefined> {
    const row = await db
      .selectFrom('api_client')
      .selectAll()
      .where('api_key_hash', '=', apiKeyHash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return row && toApiClient(row);
  },

  /** The active client with that OAuth client id, with its secret's hash for the token endpoint. */
  async findActiveByClientId(db: GatewayDb, clientId: string): Promise<(ApiClient & { clientSecretHash: string }) | undefined> {
    const row = await db
      .selectFrom('api_client')
      .selectAll()
      .where('client_id', '=', clientId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return row && { ...toApiClient(row), clientSecretHash: row.client_secret_hash };
  },

  /** Oldest first (ids are time-ordered), `limit` rows after the id `after`. */
  async list(db: GatewayDb, page: { after: string | undefined; limit: number }): Promise<ApiClient[]> {
    let query = db.selectFrom('api_client').selectAll();
    if (page.after !== undefined) query = query.where('id', '>', page.after);
    const rows = await query.orderBy('id').limit(page.limit).execute();
    return rows.map(toApiClient);
  },

  async revoke(db: GatewayDb, id: string, at: Date): Promise<RevokeOutcome> {
    const revoked = await db
      .updateTable('api_client')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (revoked) return 'revoked';
    const existing = await db.selectFrom('api_client').select('id').where('id', '=', id).executeTakeFirst();
    return existing ? 'already-revoked' : 'not-found';
  },
});
