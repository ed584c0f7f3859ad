import { openDatabase } from '@crm/platform';
import { createTestDatabase, type TestDatabase } from '@crm/testkit';
import { sql, type Kysely } from 'kysely';
import { type Rule } from '../src/segments/rules';
import { compileRule, evaluationSource, selectMembers, type CompileOptions } from '../src/segments/segment-rule.repository';
import { compileTierExpression } from '../src/tiers/tier-rule.repository';
import { DEFAULT_TIER_SET, createTierAssigner } from '../src/tiers/tier-set.rules';

let database: TestDatabase;
let db: Kysely<unknown>;

const NOW = new Date('2026-11-23T12:00:00.000Z');
const TIERS = DEFAULT_TIER_SET.map((tier) => tier.name);
const DEALER = '0195f3a2-7c4e-7000-8000-0000000000d1';
const ids = { A: 'a', B: 'b', C: 'c', D: 'd', E: 'e' } as const;
type Name = keyof typeof ids;
const uuid = (name: Name) => `0195f3a2-7c4e-7000-8000-00000000000${ids[name]}`;
const nameOf = new Map((Object.keys(ids) as Name[]).map((name) => [uuid(name), name]));
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString();

/** Only the columns the rule catalog maps to (and the ones it filters purchases on). */
async function createTables(): Promise<void> {
  await sql`create schema scoring`.execute(db);
  await sql`create table scoring.customer (
    id uuid primary key, kind text not null, dealer_id uuid, birth_date date, lifecycle_stage text not null,
    city text, region text, country text, consents jsonb not null default '{}')`.execute(db);
  await sql`create table scoring.customer_score (
    customer_id uuid primary key references scoring.customer (id), recency smallint, frequency smallint, monetary smallint,
    rfm_cell text, revenue numeric, order_count integer, tier text, clv numeric, p_alive double precision,
    quadrant text, needs_diversity double precision)`.execute(db);
  await sql`create table scoring.transaction (
    id bigserial primary key, customer_id uuid, occurred_at timestamptz not null,
    type text not null check (type in ('sale', 'return')), category text)`.execute(db);
}

/**
 *   A  East/Shanghai, 36, active, SMS+e-mail, dealer, VIP; cars 10 and 40 days ago, parts 5 days ago
 *   B  East/Hangzhou, turns 26 today, new, SMS refused, Bronze; cars 3 days ago, a return, a future sale
 *   C  West/Chengdu, turns 26 tomorrow, loyal, no consents recorded, not scored; cars 100 days ago
 *   D  no region or birth date, at_risk, e-mail, Gold; parts 1 and 1.5 days ago
 *   E  West organization, churned, SMS, Regular; an uncategorised sale 1 day ago
 */
async function insertCustomers(): Promise<void> {
  const customer = (name: Name, kind: string, birth: string | null, stage: string, city: string | null, region: string | null, consents: object, dealer: string | null = null) =>
    sql`(${uuid(name)}, ${kind}, ${dealer}, ${birth}, ${stage}, ${city}, ${region}, ${'CN'}, ${JSON.stringify(consents)})`;
  await sql`insert into scoring.customer (id, kind, dealer_id, birth_date, lifecycle_stage, city, region, country, consents) values ${sql.join([
    customer('A', 'person', '1990-06-15', 'active', 'Shanghai', 'East', { sms: true, email: true }, DEALER),
    customer('B', 'person', '2000-11-23', 'new', 'Hangzhou', 'East', { sms: false }),
    customer('C', 'person', '2000-11-24', 'loyal', 'Chengdu', 'West', {}),
    customer('D', 'person', null, 'at_risk', null, null, { email: true }),
    customer('E', 'organization', null, 'churned', 'Chengdu', 'West', { sms: true }),
  ])}`.execute(db);

  const score = (name: Name, monetary: number, cell: string, revenue: number, tier: string, pAlive: number, quadrant: string) =>
    sql`(${uuid(name)}, ${Number(cell[0])}, ${Number(cell[1])}, ${monetary}, ${cell}, ${revenue}, ${3}, ${tier}, ${revenue * 1.2}, ${pAlive}, ${quadrant}, ${0.5})`;
  await sql`insert into scoring.customer_score (customer_id, recency, frequency, monetary, rfm_cell, revenue, order_count, tier, clv, p_alive, quadrant, needs_diversity) values ${sql.join([
    score('A', 5, '555', 600_000, 'VIP', 0.95, 'one_to_one'),
    score('B', 2, '412', 20_000, 'Bronze', 0.8, 'mass'),
    score('D', 4, '234', 250_000, 'Gold', 0.3, 'loyalty'),
    score('E', 1, '111', 5_000, 'Regular', 0.1, 'mass'),
  ])}`.execute(db);

  const sale = (name: Name, days: number, category: string | null, type = 'sale') => sql`(${uuid(name)}, ${daysAgo(days)}, ${type}, ${category})`;
  await sql`insert into scoring.transaction (customer_id, occurred_at, type, category) values ${sql.join([
    sale('A', 10, 'cars'),
    sale('A', 40, 'cars'),
    sale('A', 5, 'parts'),
    sale('B', 3, 'cars'),
    sale('B', 2, 'cars', 'return'),
    sale('B', -1, 'cars'),
    sale('C', 100, 'cars'),
    sale('D', 1, 'parts'),
    sale('D', 1.5, 'parts'),
    sale('E', 1, null),
    // A sale nobody owns any more (erased customer) belongs to no one.
    sql`(null, ${daysAgo(1)}, 'sale', 'cars')`,
  ])}`.execute(db);
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = openDatabase({ kind: 'postgres', url: database.url, poolSize: 2 });
  await createTables();
  await insertCustomers();
});
afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

const members = async (rule: unknown, options: Partial<CompileOptions> & { customerIds?: string[] } = {}) => {
  const { rows } = await selectMembers(rule as Rule, { now: NOW, tiers: TIERS, ...options }).execute(db);
  return rows.map((row) => nameOf.get(row.customer_id)).sort();
};

describe('compiled rules select exactly the expected customers', () => {
  it.each<[string, unknown, Name[]]>([
    ['age between, from birth dates (a birthday today counts)', { field: 'age', op: 'between', value: [26, 40] }, ['A', 'B']],
    ['age below', { field: 'age', op: 'lt', value: 26 }, ['C']],
    ['not: the exact complement, unknown ages included', { not: { field: 'age', op: 'lt', value: 26 } }, ['A', 'B', 'D', 'E']],
    ['age unknown', { field: 'age', op: 'isNull' }, ['D', 'E']],
    ['birth date before', { field: 'birthDate', op: 'lt', value: '2000-01-01' }, ['A']],
    ['SMS consent', { field: 'consent.sms', op: 'eq', value: true }, ['A', 'E']],
    ['no SMS consent (refused or never recorded)', { field: 'consent.sms', op: 'eq', value: false }, ['B', 'C', 'D']],
    ['e-mail consent', { field: 'consent.email', op: 'eq', value: true }, ['A', 'D']],
    ['lifecycle in', { field: 'lifecycleStage', op: 'in', value: ['active', 'loyal'] }, ['A', 'C']],
    ['lifecycle not in', { field: 'lifecycleStage', op: 'notIn', value: ['active', 'loyal'] }, ['B', 'D', 'E']],
    ['region not in (missing regions excluded)', { field: 'region', op: 'notIn', value: ['East'] }, ['C', 'E']],
    ['region ne', { field: 'region', op: 'ne', value: 'East' }, ['C', 'E']],
    ['city in', { field: 'city', op: 'in', value: ['Chengdu', 'Hangzhou'] }, ['B', 'C', 'E']],
    ['kind', { field: 'kind', op: 'eq', value: 'organization' }, ['E']],
    ['dealer', { field: 'dealerId', op: 'eq', value: DEALER }, ['A']],
    ['revenue at least', { field: 'revenue', op: 'gte', value: 250_000 }, ['A', 'D']],
    ['monetary quintile between', { field: 'monetary', op: 'between', value: [2, 4] }, ['B', 'D']],
    ['tier in', { field: 'tier', op: 'in', value: ['VIP', 'Gold'] }, ['A', 'D']],
    ['not scored yet', { field: 'tier', op: 'isNull' }, ['C']],
    ['RFM cell', { field: 'rfmCell', op: 'eq', value: '555' }, ['A']],
    ['p(alive) below', { field: 'pAlive', op: 'lt', value: 0.5 }, ['D', 'E']],
    ['quadrant', { field: 'quadrant', op: 'eq', value: 'mass' }, ['B', 'E']],
    ['bought cars within 30 days (returns and future sales ignored)', { bought: { category: 'cars', withinDays: 30 } }, ['A', 'B']],
    ['bought cars twice within 30 days', { bought: { category: 'cars', withinDays: 30, minCount: 2 } }, []],
    ['bought cars twice within 45 days', { bought: { category: 'cars', withinDays: 45, minCount: 2 } }, ['A']],
    ['bought parts twice within 7 days', { bought: { category: 'parts', withinDays: 7, minCount: 2 } }, ['D']],
    ['bought anything within 2 days', { bought: { withinDays: 2 } }, ['D', 'E']],
    ['bought cars within a year', { bought: { category: 'cars', withinDays: 365 } }, ['A', 'B', 'C']],
    ['did not buy within 30 days', { not: { bought: { withinDays: 30 } } }, ['C']],
    [
      'all / any / not together',
      {
        any: [
          { all: [{ field: 'region', op: 'eq', value: 'East' }, { field: 'consent.sms', op: 'eq', value: true }] },
          { all: [{ field: 'tier', op: 'eq', value: 'Gold' }, { not: { bought: { category: 'cars', withinDays: 30 } } }] },
        ],
      },
      ['A', 'D'],
    ],
    [
      'a winback segment: valuable, slipping, reachable by SMS or e-mail',
      {
        all: [
          { field: 'revenue', op: 'gte', value: 10_000 },
          { any: [{ field: 'pAlive', op: 'lt', value: 0.5 }, { field: 'lifecycleStage', op: 'eq', value: 'at_risk' }] },
          { any: [{ field: 'consent.sms', op: 'eq', value: true }, { field: 'consent.email', op: 'eq', value: true }] },
        ],
      },
      ['D'],
    ],
  ])('%s', async (_case, rule, expected) => {
    expect(await members(rule)).toEqual(expected);
  });

  it('treats an injection-looking value as data', async () => {
    expect(await members({ field: 'region', op: 'eq', value: "x'; drop table scoring.customer; --" })).toEqual([]);
    expect(await members({ bought: { category: "cars' or '1'='1", withinDays: 3650 } })).toEqual([]);
    expect(await members({ field: 'region', op: 'isNotNull' })).toEqual(['A', 'B', 'C', 'E']);
  });

  it('takes ages on the local calendar date of the given zone', async () => {
    const evening = new Date('2026-11-23T20:00:00Z'); // already the 24th in Shanghai
    expect(await members({ field: 'age', op: 'between', value: [26, 40] }, { now: evening })).toEqual(['A', 'B']);
    expect(await members({ field: 'age', op: 'between', value: [26, 40] }, { now: evening, timeZone: 'Asia/Shanghai' })).toEqual(['A', 'B', 'C']);
  });

  it('re-checks only the given customers', async () => {
    expect(await members({ field: 'region', op: 'eq', value: 'East' }, { customerIds: [uuid('B'), uuid('C')] })).toEqual(['B']);
  });

  it('evaluates a rule per customer in a select list, never NULL', async () => {
    const predicate = compileRule({ not: { field: 'age', op: 'gt', value: 30 } }, { now: NOW, tiers: TIERS });
    const { rows } = await sql<{ id: string; member: boolean }>`select c.id, ${predicate} as member from ${evaluationSource()} order by c.id`.execute(db);
    expect(rows.map((row) => [nameOf.get(row.id), row.member])).toEqual([['A', false], ['B', true], ['C', true], ['D', true], ['E', true]]);
  });
});

describe('tier evaluation in SQL', () => {
  it('assigns the same tier as the TypeScript assigner, the lowest without a score', async () => {
    const { rows } = await sql<{ id: string; revenue: string | null; tier: string }>`
      select c.id, s.revenue, ${compileTierExpression(DEFAULT_TIER_SET)} as tier from ${evaluationSource()} order by c.id`.execute(db);
    const assign = createTierAssigner(DEFAULT_TIER_SET);
    expect(rows.map((row) => [nameOf.get(row.id), row.tier])).toEqual([['A', 'VIP'], ['B', 'Bronze'], ['C', 'Regular'], ['D', 'Gold'], ['E', 'Regular']]);
    for (const row of rows) expect(row.tier).toBe(assign(row.revenue === null ? null : Number(row.revenue)));
  });
});
