import { problem, problemType, type ProblemError, type ProblemType } from '@crm/platform';

/** The gateway's own problem types, next to the platform's `Problems`. */
export const GatewayProblems = {
  gatewayTimeout: problemType('gateway-timeout', 504, 'The upstream service did not answer in time'),
  invalidClient: problemType('invalid-client', 401, 'Client authentication failed'),
  unsupportedGrantType: problemType('unsupported-grant-type', 400, 'The grant type is not supported'),
  replayUnavailable: problemType('idempotent-replay-unavailable', 409, 'The stored response can no longer be replayed'),
  unknownDealer: problemType('unknown-dealer', 422, 'The dealer does not exist'),
  unknownOrganization: problemType('unknown-organization', 422, 'The organisation customer does not exist'),
} as const;

/** RFC 6749 §5.2 error codes the token endpoint answers with. */
export type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'unsupported_grant_type';

/** A problem that also carries RFC 6749's `error` and `error_description`, for OAuth clients. */
export function oauthProblem(type: ProblemType, error: OAuthErrorCode, description: string): ProblemError {
  return problem(type, description, { error, error_description: description });
}
