import type { Principal } from '@crm/domain';

/** A registered API client as the domain sees it (hashes stay in the repository's rows). */
export interface ApiClient {
  id: string;
  name: string;
  principal: Principal;
  clientId: string;
  createdAt: Date;
  revokedAt: Date | null;
}

/** What a new client is stored with: the credentials' hashes, never the credentials. */
export interface NewApiClient {
  id: string;
  name: string;
  principal: Principal;
  apiKeyHash: string;
  clientId: string;
  clientSecretHash: string;
  createdAt: Date;
}
