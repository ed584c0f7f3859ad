import { apiClientRepository, type GatewayDb } from '../api-clients/api-client.repository';
import { credentialMatches } from '../api-clients/credentials';
import { GatewayProblems, oauthProblem } from '../gateway.problems';
import type { IssuedToken, TokenService } from './token.service';

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

/** RFC 6749 §4.4: a client trades its id and secret for an access token. */
export interface ClientCredentialsService {
  exchange(credentials: ClientCredentials): Promise<IssuedToken>;
}

export function createClientCredentialsService(deps: { db: GatewayDb; tokens: TokenService }): ClientCredentialsService {
  return {
    async exchange({ clientId, clientSecret }) {
      const client = await apiClientRepository.findActiveByClientId(deps.db, clientId);
      // The same answer for an unknown client, a revoked one and a wrong secret.
      if (!client || !credentialMatches(clientSecret, client.clientSecretHash)) {
        throw oauthProblem(GatewayProblems.invalidClient, 'invalid_client', 'unknown client, revoked client or wrong secret');
      }
      return deps.tokens.issue({ clientId: client.clientId, principal: client.principal });
    },
  };
}
