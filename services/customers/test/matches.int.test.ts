import { randomUUID } from 'node:crypto';
import { admin, as, dealerPrincipal, startCustomers, type Harness } from './harness';

/** `POST /v1/customers/matches`: the customers other services dedupe against (ADR 0014), set-based. */
let h: Harness;
let dealerA: string;
let dealerB: string;
let personA: string;
let personB: string;
let org: string;
const tag = randomUUID().slice(0, 8);

const create = async (body: object) => {
  const res = await h.service.app.inject({ method: 'POST', url: '/v1/customers', headers: as(admin), payload: body });
  expect(res.statusCode).toBe(201);
  return res.json<{ id: string }>().id;
};
const match = (items: object[], principal = admin) => h.service.app.inject({ method: 'POST', url: '/v1/customers/matches', headers: as(principal), payload: { items } });

beforeAll(async () => {
  h = await startCustomers();
  const dealer = async (code: string) => (await h.service.app.inject({ method: 'POST', url: '/v1/dealers', headers: as(admin), payload: { code: `${code}-${tag}`, name: code } })).json<{ id: string }>().id;
  [dealerA, dealerB] = [await dealer('A'), await dealer('B')];
  personA = await create({ kind: 'person', givenName: 'Mei', familyName: 'Lin', emails: [`Mei.${tag}@Example.com`], phones: ['+86 138 0013 8000'], dealerId: dealerA });
  personB = await create({ kind: 'person', givenName: 'Bo', familyName: 'Lin', phones: ['+8613900139000'], dealerId: dealerB });
  org = await create({ kind: 'organization', organizationName: `Acme ${tag}`, emails: [`buy.${tag}@acme.example`] });
});
afterAll(() => h.close());

describe('customer matches', () => {
  it('answers, per item, the active customers holding its normalised e-mail or E.164 phone, and on what', async () => {
    const res = await match([
      { email: ` MEI.${tag}@example.COM ` },
      { phone: '+86-139-0013-9000' },
      { email: `buy.${tag}@acme.example`, phone: '+8613800138000' },
      { email: `nobody.${tag}@example.com` },
    ]);
    expect(res.statusCode).toBe(200);
    expect(res.json().results).toEqual([
      { index: 0, matches: [{ customerId: personA, dealerId: dealerA, kind: 'person', on: 'email' }] },
      { index: 1, matches: [{ customerId: personB, dealerId: dealerB, kind: 'person', on: 'phone' }] },
      {
        index: 2,
        matches: expect.arrayContaining([
          { customerId: org, dealerId: null, kind: 'organization', on: 'email' },
          { customerId: personA, dealerId: dealerA, kind: 'person', on: 'phone' },
        ]),
      },
      { index: 3, matches: [] },
    ]);
  });

  it("shows a dealer only its own customers: another dealer's match is as if it did not exist", async () => {
    const res = await match([{ phone: '+8613900139000' }, { email: `mei.${tag}@example.com` }], dealerPrincipal(dealerA));
    expect(res.json().results).toEqual([
      { index: 0, matches: [] },
      { index: 1, matches: [{ customerId: personA, dealerId: dealerA, kind: 'person', on: 'email' }] },
    ]);
  });

  it('refuses items without either, malformed values and more than 1,000 items with a problem', async () => {
    for (const items of [[{}], [{ email: 'not-mail' }], [{ phone: '12' }], Array.from({ length: 1001 }, () => ({ phone: '+8613800138000' })), []]) {
      const res = await match(items);
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });
});
