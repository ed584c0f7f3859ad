import { createHmac, timingSafeEqual } from 'node:crypto';
import { Principal } from '@crm/domain';
import { problem, Problems } from './problems';

export const PRINCIPAL_HEADER = 'x-crm-principal';
export const PRINCIPAL_SIGNATURE_HEADER = 'x-crm-principal-signature';
/** A forwarded principal is good for this long: enough for a slow hop, too short to replay later. */
const MAX_AGE_SECONDS = 300;

function hmac(payload: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest();
}

/** The headers the gateway adds so services can trust who is calling. */
export function signPrincipal(principal: Principal, secret: string, now: Date = new Date()): Record<string, string> {
  const payload = Buffer.from(JSON.stringify({ principal, iat: Math.floor(now.getTime() / 1000) })).toString('base64url');
  return {
    [PRINCIPAL_HEADER]: payload,
    [PRINCIPAL_SIGNATURE_HEADER]: hmac(payload, secret).toString('base64url'),
  };
}

/** Verifies the forwarded principal; throws 401 problem+json for anything missing, forged or stale. */
export function verifyPrincipal(
  headers: Record<string, string | string[] | undefined>,
  secret: string,
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
  let decoded: { principal?: unknown; iat?: unknown };
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof decoded;
  } catch {
    throw problem(Problems.unauthenticated, 'the principal is not readable');
  }
  const age = now.getTime() / 1000 - Number(decoded.iat);
  if (!Number.isFinite(age) || age > MAX_AGE_SECONDS || age < -MAX_AGE_SECONDS) {
    throw problem(Problems.unauthenticated, 'the signed principal has expired');
  }
  const parsed = Principal.safeParse(decoded.principal);
  if (!parsed.success) throw problem(Problems.unauthenticated, 'the principal is not valid');
  return parsed.data;
}
