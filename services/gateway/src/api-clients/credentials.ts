import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const API_KEY_PREFIX = 'crm_';
const CLIENT_ID_PREFIX = 'cid_';

/** 256 random bits: `crm_<base64url>`. */
export const newApiKey = (): string => `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
export const newClientId = (): string => `${CLIENT_ID_PREFIX}${randomBytes(16).toString('base64url')}`;
export const newClientSecret = (): string => randomBytes(32).toString('base64url');

/**
 * sha256 of a credential, hex. The credentials are random and long, so a fast hash is enough (no
 * password stretching needed): a leaked hash does not lead back to a usable key.
 */
export const hashCredential = (credential: string): string => createHash('sha256').update(credential, 'utf8').digest('hex');

/** Compares a presented credential with a stored hash in constant time. */
export function credentialMatches(presented: string, storedHash: string): boolean {
  const given = createHash('sha256').update(presented, 'utf8').digest();
  const expected = Buffer.from(storedHash, 'hex');
  return expected.length === given.length && timingSafeEqual(given, expected);
}
