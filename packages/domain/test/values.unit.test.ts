import { CustomerEvents, Email, Money, Phone, Principal, toE164 } from '../src';

describe('value types', () => {
  it('normalises e-mail addresses and rejects non-addresses', () => {
    expect(Email.parse('  Li.Wei@Example.COM ')).toBe('li.wei@example.com');
    expect(Email.safeParse('li.wei@').success).toBe(false);
  });

  it('normalises phone numbers to E.164', () => {
    expect(Phone.parse('+86 138-0013-8000')).toBe('+8613800138000');
    expect(toE164('030 1234567', 'DE')).toBe('+49301234567');
    expect(Phone.safeParse('12345').success).toBe(false);
    expect(Phone.safeParse('13800138000').success).toBe(false); // no country: ambiguous
  });

  it('keeps money as a decimal string with an ISO currency', () => {
    expect(Money.parse({ amount: '123.45', currency: 'CNY' })).toEqual({ amount: '123.45', currency: 'CNY' });
    expect(Money.safeParse({ amount: 123.45, currency: 'CNY' }).success).toBe(false);
    expect(Money.safeParse({ amount: '1.23456', currency: 'CNY' }).success).toBe(false);
    expect(Money.safeParse({ amount: '1', currency: 'yuan' }).success).toBe(false);
  });

  it('accepts only well-formed principals', () => {
    expect(Principal.safeParse({ kind: 'staff', subject: 's', roles: ['admin'] }).success).toBe(true);
    expect(Principal.safeParse({ kind: 'staff', subject: 's', roles: [] }).success).toBe(false);
    expect(Principal.safeParse({ kind: 'dealer', subject: 's', dealerId: 'not-a-uuid' }).success).toBe(false);
    expect(Principal.safeParse({ kind: 'root', subject: 's' }).success).toBe(false);
  });
});

describe('event catalog', () => {
  it('keys every customer event by the customer id and names versioned types', () => {
    const id = '0190c8a0-0000-7000-8000-000000000001';
    expect(CustomerEvents.erased.key({ customerId: id })).toBe(id);
    expect(Object.values(CustomerEvents).every((e) => /^crm\.customer\.[a-z.]+\.v\d+$/.test(e.type))).toBe(true);
    expect(Object.values(CustomerEvents).every((e) => e.topic === 'crm.customers')).toBe(true);
  });
});
