import { createHmac, timingSafeEqual } from 'node:crypto';
import { Principal } from '@crm/domain';
import { problem, Problems } from './problems';

export const PRINCIPAL_HEADER = 'x-crm-principal';
export const PRINCIPAL_SIGNATURE_HEADER = 'x-crm-principal-signature';
/**
 * A forwarded principal is good for this long (either way, for clocks a little apart): enough for a
 * slow hop, too short to replay later. It is bound to one method and path besides.
 */
export const PRINCIPAL_MAX_AGE_SECONDS = 60;

/** The request a principal is signed for: its method and its request target (`request.url`, query allowed). */
export interface SignedRequestTarget {
  method: string;
  url: string;
}

/** `scheme://authority` of an absolute-form request target (`GET http://host/v1/x HTTP/1.1`). */
const ABSOLUTE_FORM = /^[a-z][a-z\d+.-]*:\/\/[^/?#]*/i;

/**
 * The path a request target names, as the router matches it: absolute-form reduced to its path,
 * query and fragment cut off, percent-escapes decoded except those of reserved characters
 * (`/`, `?`, `%`, … stay escaped, in upper case, as the router keeps them apart from the separators).
 * `/%761/customers` and `http://host/v1/customers?x=1` are both `/v1/customers`. The query is not part
 * of it: the gateway's proxy re-serialises query strings, so their bytes do not survive the hop.
 */
export function routedPathOf(url: string): string {
  const target = url.startsWith('/') ? url : url.replace(ABSOLUTE_FORM, '') || '/';
  const end = target.search(/[?#]/);
  const path = end === -1 ? target : target.slice(0, end);
  try {
    // decodeURI leaves the reserved characters' escapes alone, but not `%25`: protect it first.
    return decodeURI(path.replaceAll('%25', '%2525')).replace(/%[\da-f]{2}/gi, (escape) => escape.toUpperCase());
  } catch {
    // Malformed escapes: the router refuses the path anyway; compare it as sent.
    return path;
  }
}

function hmac(payload: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest();
}

interface SignedPayload {
  principal?: unknown;
  iat?: unknown;
  method?: unknown;
  path?: unknown;
}

/**
 * The headers the gateway adds so a service can trust who is calling: the principal, the time, and
 * the method and path of the one request it is for, under an HMAC of the shared secret.
 */
export function signPrincipal(principal: Principal, secret: string, request: SignedRequestTarget, now: Date = new Date()): Record<string, string> {
  const signed: SignedPayload = {
    principal,
    iat: Math.floor(now.getTime() / 1000),
    method: request.method.toUpperCase(),
    path: routedPathOf(request.url),
  };
  const payload = Buffer.from(JSON.stringify(signed)).toString('base64url');
  return {
    [PRINCIPAL_HEADER]: payload,
    [PRINCIPAL_SIGNATURE_HEADER]: hmac(payload, secret).toString('base64url'),
  };
}

/**
 * Verifies the forwarded principal for the request it arrived with; throws 401 problem+json for
 * anything missing, forged, stale, or signed for another method or path.
 */
export function verifyPrincipal(
  headers: Record<string, string | string[] | undefined>,
  secret: string,
  request: SignedRequestTarget,
  now: Date = new Date(),
): Principal {
  const payload = headers[PRINCIPAL_HEADER];
  const signature = headers[PRINCIPAL_SIGNATURE_HEADER];
  if (typeof payload !== 'string' || typeof signature !== 'string') {
    throw problem(Problems.unauthenticated, 'call through the gateway: this service accepts only signed principals');
  }
  const expected = hmac(payload, secret);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw problem(Problems.unauthenticated, 'the principal signature is not valid');
  }
  let decoded: SignedPayload;
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as SignedPayload;
  } catch {
    throw problem(Problems.unauthenticated, 'the principal is not readable');
  }
  const age = now.getTime() / 1000 - Number(decoded.iat);
  if (!Number.isFinite(age) || Math.abs(age) > PRINCIPAL_MAX_AGE_SECONDS) {
    throw problem(Problems.unauthenticated, 'the signed principal has expired');
  }
  if (decoded.method !== request.method.toUpperCase() || decoded.path !== routedPathOf(request.url)) {
    throw problem(Problems.unauthenticated, 'the principal was signed for another request');
  }
  const parsed = Principal.safeParse(decoded.principal);
  if (!parsed.success) throw problem(Problems.unauthenticated, 'the principal is not valid');
  return parsed.data;
}
