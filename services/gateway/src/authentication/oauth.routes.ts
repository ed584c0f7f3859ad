import { problemResponses, Problems, type App } from '@crm/platform';
import { z } from 'zod';
import type { ClientCredentials, ClientCredentialsService } from './client-credentials.service';
import { GatewayProblems, oauthProblem } from '../gateway.problems';

// RFC 6749 §3.2: unknown parameters are ignored, so the body is not strict.
const TokenRequest = z
  .object({
    grant_type: z.string().min(1).describe('Only `client_credentials`'),
    client_id: z.string().min(1).optional().describe('Unless sent with HTTP Basic'),
    client_secret: z.string().min(1).optional().describe('Unless sent with HTTP Basic'),
    scope: z.string().optional().describe('Accepted and ignored: access follows from the client\'s principal'),
  })
  .meta({ id: 'TokenRequest' });

const TokenResponse = z
  .object({
    access_token: z.string(),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int().describe('Seconds'),
  })
  .meta({ id: 'TokenResponse' });

const BASIC = /^Basic +([A-Za-z0-9+/=]+) *$/i;

/** RFC 6749 §2.3.1: HTTP Basic with the form-encoded id and secret; undefined without an Authorization header. */
function basicCredentials(authorization: string | undefined): ClientCredentials | undefined {
  if (authorization === undefined) return undefined;
  const encoded = BASIC.exec(authorization)?.[1];
  const decoded = encoded === undefined ? '' : Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) throw oauthProblem(GatewayProblems.invalidClient, 'invalid_client', 'the Authorization header must be HTTP Basic with client_id:client_secret');
  const formDecode = (value: string) => {
    try {
      return decodeURIComponent(value.replaceAll('+', ' '));
    } catch {
      throw oauthProblem(GatewayProblems.invalidClient, 'invalid_client', 'the Basic credentials are not form-encoded');
    }
  };
  return { clientId: formDecode(decoded.slice(0, colon)), clientSecret: formDecode(decoded.slice(colon + 1)) };
}

function credentialsOf(basic: ClientCredentials | undefined, body: z.infer<typeof TokenRequest>): ClientCredentials {
  const inBody = body.client_id !== undefined || body.client_secret !== undefined;
  if (basic && inBody) throw oauthProblem(Problems.validation, 'invalid_request', 'authenticate the client with HTTP Basic or in the body, not both');
  if (basic) return basic;
  if (body.client_id !== undefined && body.client_secret !== undefined) return { clientId: body.client_id, clientSecret: body.client_secret };
  throw oauthProblem(GatewayProblems.invalidClient, 'invalid_client', 'send client_id and client_secret, in the body or with HTTP Basic');
}

/** RFC 6749 §5.2 names every token-endpoint error; problems raised without one get the generic code. */
function withOAuthError(statusCode: number, payload: string): string {
  let document: Record<string, unknown>;
  try {
    document = JSON.parse(payload) as Record<string, unknown>;
  } catch {
    return payload;
  }
  if (typeof document.error === 'string') return payload;
  const error = statusCode === 401 ? 'invalid_client' : 'invalid_request';
  return JSON.stringify({ ...document, error, error_description: document.detail ?? document.title });
}

/** `POST /oauth/token`: the client credentials grant, form-encoded (as RFC 6749 says) or JSON. */
export async function oauthRoutes(app: App, clientCredentials: ClientCredentialsService): Promise<void> {
  await app.register(async (scope: App) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_request, body, done) => {
      const fields: Record<string, string> = {};
      for (const [name, value] of new URLSearchParams(body as string)) {
        if (name in fields) return done(oauthProblem(Problems.validation, 'invalid_request', `body.${name}: is repeated`), undefined);
        fields[name] = value;
      }
      done(null, fields);
    });

    scope.addHook('onSend', async (_request, reply, payload) => {
      if (reply.statusCode < 400 || reply.statusCode >= 500 || typeof payload !== 'string') return payload;
      if (reply.statusCode === 401) void reply.header('www-authenticate', 'Basic realm="crm"');
      return withOAuthError(reply.statusCode, payload);
    });

    scope.post(
      '/oauth/token',
      {
        config: { public: true },
        schema: {
          operationId: 'issueToken',
          tags: ['oauth'],
          summary: 'Get an access token (OAuth 2.0 client credentials)',
          description:
            'Send `grant_type=client_credentials` with the client id and secret in the body or as HTTP Basic. ' +
            'Errors are problem+json that also carry RFC 6749 `error` and `error_description`.',
          security: [],
          consumes: ['application/x-www-form-urlencoded', 'application/json'],
          headers: z.looseObject({ authorization: z.string().optional() }),
          body: TokenRequest,
          response: { 200: TokenResponse, ...problemResponses(400, 401, 415) },
        },
      },
      async (request, reply) => {
        const { body } = request;
        if (body.grant_type !== 'client_credentials') {
          throw oauthProblem(GatewayProblems.unsupportedGrantType, 'unsupported_grant_type', `grant_type ${body.grant_type} is not supported; use client_credentials`);
        }
        const token = await clientCredentials.exchange(credentialsOf(basicCredentials(request.headers.authorization), body));
        return reply
          .header('cache-control', 'no-store')
          .header('pragma', 'no-cache')
          .send({ access_token: token.accessToken, token_type: 'Bearer' as const, expires_in: token.expiresIn });
      },
    );
  });
}
