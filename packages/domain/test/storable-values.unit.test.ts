import { Address, Consent, ExternalId, isStorableText, SafeDate, SafeDateTime, SafeJson, SafeText, toStorableText, unstorableJsonPath } from '../src';

describe('values PostgreSQL can store', () => {
  it('refuses NUL and unpaired surrogates in text, keeps paired ones and everything else', () => {
    for (const ok of ['Li Wei', '李伟', '😀 emoji pair', '', 'tab\tand\nnewline', '\ufffd']) expect(isStorableText(ok)).toBe(true);
    for (const bad of ['a\u0000b', '\u0000', 'x\ud800', '\ud800y', '\udc00', 'y\udfff', '\ude00\ud83d']) expect(isStorableText(bad)).toBe(false);
    expect(toStorableText('a\u0000b\ud800c😀')).toBe('a\ufffdb\ufffdc😀');
    expect(toStorableText('fine')).toBe('fine');
  });

  it('SafeText keeps its check through trim, min and max and names the problem', () => {
    const Name = SafeText.trim().min(1).max(5);
    expect(Name.parse('  Li ')).toBe('Li');
    const result = Name.safeParse('Li\u0000');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/NUL/);
    expect(Name.safeParse('\ud800').success).toBe(false);
    expect(Name.safeParse('toolong').success).toBe(false);
  });

  it('SafeJson finds the first bad key or string at any depth', () => {
    expect(unstorableJsonPath({ a: [1, 'ok', { b: 'x\u0000' }] })).toEqual(['a', 2, 'b']);
    expect(unstorableJsonPath({ ['k\ud800']: 1 })).toEqual(['k\ud800']);
    expect(unstorableJsonPath({ a: [null, true, 3.5, 'ok'] })).toBeUndefined();
    const result = SafeJson.safeParse({ rule: { all: [{ value: '\udc00' }] } });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['rule', 'all', 0, 'value']);
    expect(SafeJson.safeParse({ all: [] }).success).toBe(true);
    // Deep nesting is walked without recursion.
    let deep: unknown = 'bottom\u0000';
    for (let level = 0; level < 200_000; level += 1) deep = [deep];
    expect(unstorableJsonPath(deep)).toHaveLength(200_000);
  });

  it('dates lie in years 0001 to 9999', () => {
    for (const ok of ['0001-01-01', '1990-05-01', '9999-12-31', '2024-02-29']) expect(SafeDate.safeParse(ok).success).toBe(true);
    for (const bad of ['0000-01-01', '0000-12-31', '10000-01-01', '-0001-01-01', '+010000-01-01', '2023-02-29', '1990-13-01', '1990-5-1']) {
      const result = SafeDate.safeParse(bad);
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.message).toMatch(/0001-01-01 to 9999-12-31/);
    }
  });

  it('date-times lie in years 0001 to 9999, as written and in UTC', () => {
    for (const ok of ['0001-01-01T00:00:00Z', '2026-06-01T10:00:00+08:00', '9999-12-31T23:59:59Z', '9999-12-31T23:59:59.999999Z', '0001-01-01T05:00:00+05:00']) {
      expect([ok, SafeDateTime.safeParse(ok).success]).toEqual([ok, true]);
    }
    for (const bad of ['0000-01-01T00:00:00Z', '10000-01-01T00:00:00Z', '9999-12-31T23:00:00-05:00', '0001-01-01T00:00:00+01:00', '2026-06-01T10:00:00', '2026-02-30T00:00:00Z']) {
      expect([bad, SafeDateTime.safeParse(bad).success]).toEqual([bad, false]);
    }
  });

  it('address, consent and external id use them', () => {
    expect(Address.safeParse({ line1: 'Road\u0000 1', city: 'Shanghai', country: 'CN' }).success).toBe(false);
    expect(Consent.safeParse({ channel: 'sms', granted: true, source: 'hotline\ud800', recordedAt: '2026-01-01T00:00:00Z' }).success).toBe(false);
    expect(Consent.safeParse({ channel: 'sms', granted: true, source: 'hotline', recordedAt: '0000-01-01T00:00:00Z' }).success).toBe(false);
    expect(ExternalId.safeParse({ system: 'erp', id: 'C-1\u0000' }).success).toBe(false);
    expect(ExternalId.parse({ system: 'erp', id: ' C-1 ' })).toEqual({ system: 'erp', id: 'C-1' });
  });
});
