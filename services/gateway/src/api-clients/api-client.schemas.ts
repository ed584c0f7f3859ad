import { Principal } from '@crm/domain';
import { z } from 'zod';

export const NewApiClient = z
  .strictObject({
    name: z.string().trim().min(1).max(200).describe('What the client is, for the people who administer it'),
    principal: Principal.describe('Who the client acts as: staff with roles, a dealer, or an integration'),
  })
  .meta({ id: 'NewApiClient' });

export const ApiClient = z
  .object({
    id: z.uuid(),
    name: z.string(),
    principal: Principal,
    clientId: z.string().describe('OAuth client id for `POST /oauth/token`'),
    createdAt: z.iso.datetime(),
    revokedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'ApiClient' });

export const CreatedApiClient = ApiClient.extend({
  apiKey: z.string().describe('Bearer API key; shown only in this response'),
  clientSecret: z.string().describe('OAuth client secret; shown only in this response'),
}).meta({ id: 'CreatedApiClient' });
