import { credentialMatches, hashCredential, newApiKey, newClientId, newClientSecret } from '../src/api-clients/credentials';
import { createSealedBox } from '../src/api-clients/sealed-box';
import { createTtlCache } from '../src/authentication/ttl-cache';

describe('credentials', () => {
  it('are random, prefixed where they identify themselves, and long', () => {
    const keys = new Set(Array.from({ length: 100 }, newApiKey));
    expect(keys.size).toBe(100);
    for (const key of keys) expect(key).toMatch(/^crm_[A-Za-z0-9_-]{43}$/);
    expect(newClientId()).toMatch(/^cid_[A-Za-z0-9_-]{22}$/);
    expect(newClientSecret()).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('are stored as a sha256 hash that matches only the credential', () => {
    const key = newApiKey();
    const hash = hashCredential(key);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain(key);
    expect(credentialMatches(key, hash)).toBe(true);
    expect(credentialMatches(`${key}x`, hash)).toBe(false);
    expect(credentialMatches(key, 'not-hex')).toBe(false);
  });
});

describe('sealed box', () => {
  const box = createSealedBox('secret-one-0123456789abcdefghijklmnop', 'test');

  it('opens what it sealed, and seals the same text differently each time', () => {
    const sealed = box.seal('{"apiKey":"crm_x"}');
    expect(sealed).not.toContain('crm_x');
    expect(box.open(sealed)).toBe('{"apiKey":"crm_x"}');
    expect(box.seal('same')).not.toBe(box.seal('same'));
  });

  it('refuses other keys, other purposes and tampering', () => {
    const sealed = box.seal('text');
    expect(createSealedBox('secret-two-0123456789abcdefghijklmnop', 'test').open(sealed)).toBeUndefined();
    expect(createSealedBox('secret-one-0123456789abcdefghijklmnop', 'other').open(sealed)).toBeUndefined();
    const bytes = Buffer.from(sealed, 'base64url');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    expect(box.open(bytes.toString('base64url'))).toBeUndefined();
    expect(box.open('short')).toBeUndefined();
  });
});

describe('ttl cache', () => {
  it('forgets entries after the ttl, when cleared, and beyond its size', () => {
    let now = 0;
    const cache = createTtlCache<number>({ ttlMs: 1000, maxEntries: 2, now: () => now });
    cache.set('a', 1);
    now = 999;
    expect(cache.get('a')).toBe(1);
    now = 1000;
    expect(cache.get('a')).toBeUndefined();
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, 2, 3]);
    cache.clear();
    expect(cache.get('b')).toBeUndefined();
  });

  it('keeps nothing with a zero ttl', () => {
    const cache = createTtlCache<number>({ ttlMs: 0, maxEntries: 2, now: () => 0 });
    cache.set('a', 1);
    expect(cache.get('a')).toBeUndefined();
  });
});
