import { ProblemError } from '@crm/platform';
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import { FIELD_CATALOG, describeFields, formatError, parseRule, ruleDependencies, type Rule } from '../src/segments/rules';
import { compileRule, selectMembers } from '../src/segments/segment-rule.repository';
import { compileTierExpression } from '../src/tiers/tier-rule.repository';
import { DEFAULT_TIER_SET, createTierAssigner, tierConditionRule, validateTierSet, type TierDefinition } from '../src/tiers/tier-set.rules';

// Compiles without a connection: what PostgreSQL would receive.
const cold = new Kysely<unknown>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});
const NOW = new Date('2026-11-23T12:00:00.000Z');
const TIERS = ['VIP', 'Gold', 'Silver', 'Bronze', 'Regular'];
const compiled = (rule: unknown, tiers: string[] = TIERS) => compileRule(rule as Rule, { now: NOW, tiers }).compile(cold);
const errorsOf = (json: unknown, tiers?: string[]) => {
  const result = parseRule(json, tiers ? { tiers } : {});
  if (result.ok) throw new Error('expected the rule to be rejected');
  return result.errors.map(formatError);
};
const nest = (levels: number): unknown => (levels <= 1 ? { field: 'age', op: 'gt', value: 1 } : { not: nest(levels - 1) });

describe('parseRule: valid rules', () => {
  it('accepts every rule form and returns a clean copy', () => {
    const rule = {
      all: [
        { field: 'age', op: 'between', value: [18, 65] },
        { any: [{ field: 'region', op: 'in', value: ['East', 'North'] }, { field: 'consent.sms', op: 'eq', value: true }] },
        { not: { field: 'lifecycleStage', op: 'eq', value: 'churned' } },
        { bought: { category: 'cars', withinDays: 90, minCount: 2 } },
        { bought: { withinDays: 30 } },
        { field: 'tier', op: 'notIn', value: ['Regular'] },
        { field: 'dealerId', op: 'eq', value: '0195f3a2-7c4e-7000-8000-000000000001' },
        { field: 'birthDate', op: 'lt', value: '2000-01-01' },
        { field: 'rfmCell', op: 'eq', value: '555' },
        { field: 'pAlive', op: 'gte', value: 0.5 },
        { field: 'clv', op: 'isNotNull' },
      ],
    };
    const result = parseRule(rule, { tiers: TIERS });
    expect(result).toEqual({ ok: true, value: rule });
    expect(result.ok && result.value).not.toBe(rule);
  });

  it('accepts tier values without a tier list and checks them when one is given', () => {
    expect(parseRule({ field: 'tier', op: 'eq', value: 'Platinum' }).ok).toBe(true);
    expect(errorsOf({ field: 'tier', op: 'eq', value: 'Platinum' }, TIERS)).toEqual([
      'rule.value: unknown tier "Platinum"; the tiers are VIP, Gold, Silver, Bronze, Regular',
    ]);
  });

  it('allows 10 levels of nesting and 200 nodes', () => {
    expect(parseRule(nest(10)).ok).toBe(true);
    const leaves = Array.from({ length: 199 }, (_, i) => ({ field: 'age', op: 'eq', value: i % 100 }));
    expect(parseRule({ any: leaves }).ok).toBe(true);
  });
});

describe('parseRule: every error with its path', () => {
  it.each<[string, unknown, string[]]>([
    ['an unknown field', { field: 'shoeSize', op: 'eq', value: 42 }, ['rule.field: unknown field "shoeSize"']],
    ['an unknown operator', { field: 'age', op: 'like', value: 1 }, ['rule.op: must be one of eq, ne, gt, gte, lt, lte, in, notIn, between, isNull, isNotNull']],
    ['an ordering op on a string', { field: 'region', op: 'gt', value: 'A' }, ['rule.op: "gt" is not allowed for field "region" (string); use one of eq, ne, in, notIn, isNull, isNotNull']],
    ['in on a boolean', { field: 'consent.email', op: 'in', value: [true] }, ['rule.op: "in" is not allowed for field "consent.email" (boolean); use one of eq']],
    ['between on an enum', { field: 'quadrant', op: 'between', value: ['mass', 'niche'] }, ['rule.op: "between" is not allowed for field "quadrant" (enum); use one of eq, ne, in, notIn, isNull, isNotNull']],
    ['a string for a number', { field: 'age', op: 'gt', value: '30' }, ['rule.value: must be a number for field "age"']],
    ['a number for a string', { field: 'city', op: 'eq', value: 1 }, ['rule.value: must be a non-empty string for field "city"']],
    ['a string for a boolean', { field: 'consent.sms', op: 'eq', value: 'yes' }, ['rule.value: must be true or false for field "consent.sms"']],
    ['an unknown enum value', { field: 'lifecycleStage', op: 'eq', value: 'sleeping' }, ['rule.value: must be one of prospect, new, active, loyal, at_risk, churned for field "lifecycleStage"']],
    ['a bad date', { field: 'birthDate', op: 'gt', value: '2026-02-30' }, ['rule.value: must be a date "YYYY-MM-DD" for field "birthDate"']],
    ['a bad uuid', { field: 'dealerId', op: 'eq', value: 'dealer-1' }, ['rule.value: must be a UUID for field "dealerId"']],
    ['a bad RFM cell', { field: 'rfmCell', op: 'eq', value: '565' }, ['rule.value: must look like "555" for field "rfmCell"']],
    ['a quintile out of range', { field: 'monetary', op: 'gte', value: 6 }, ['rule.value: must be between 1 and 5 for field "monetary"']],
    ['a fractional quintile', { field: 'recency', op: 'eq', value: 2.5 }, ['rule.value: must be a whole number for field "recency"']],
    ['a probability above 1', { field: 'pAlive', op: 'gt', value: 50 }, ['rule.value: must be between 0 and 1 for field "pAlive"']],
    ['in with an empty list', { field: 'region', op: 'in', value: [] }, ['rule.value: must list at least one value for op "in"']],
    ['notIn with a scalar', { field: 'region', op: 'notIn', value: 'East' }, ['rule.value: must be a list for op "notIn"']],
    ['in with one bad item', { field: 'age', op: 'in', value: [1, 'two', 3] }, ['rule.value[1]: must be a number for field "age"']],
    ['between with lo > hi', { field: 'age', op: 'between', value: [65, 18] }, ['rule.value: lower bound 65 is above upper bound 18']],
    ['between with dates reversed', { field: 'birthDate', op: 'between', value: ['2000-01-01', '1990-01-01'] }, ['rule.value: lower bound "2000-01-01" is above upper bound "1990-01-01"']],
    ['between with one bound', { field: 'age', op: 'between', value: [18] }, ['rule.value: must be [lo, hi] for op "between"']],
    ['between with a bad bound', { field: 'age', op: 'between', value: [18, 'old'] }, ['rule.value[1]: must be a number for field "age"']],
    ['a NUL character (PostgreSQL text cannot hold it)', { field: 'city', op: 'in', value: ['ok', 'a\u0000b'] }, ['rule.value[1]: must not contain NUL characters or unpaired UTF-16 surrogates for field "city"']],
    ['a lone surrogate (jsonb cannot hold it)', { field: 'city', op: 'eq', value: 'a\ud800' }, ['rule.value: must not contain NUL characters or unpaired UTF-16 surrogates for field "city"']],
    ['a NUL character in a category', { bought: { category: '\u0000', withinDays: 1 } }, ['rule.bought.category: must not contain NUL characters or unpaired UTF-16 surrogates']],
    ['a year-0 date', { field: 'birthDate', op: 'lt', value: '0000-12-31' }, ['rule.value: must be a date "YYYY-MM-DD" for field "birthDate"']],
    ['a missing value', { field: 'age', op: 'eq' }, ['rule.value: is required for op "eq"']],
    ['a null value', { field: 'region', op: 'eq', value: null }, ['rule.value: must not be null; use op "isNull" for missing values']],
    ['a value with isNull', { field: 'region', op: 'isNull', value: 'x' }, ['rule.value: must be omitted for op "isNull"']],
    ['a missing field', { op: 'eq', value: 1 }, ['rule.field: is required']],
    ['an unknown key', { field: 'age', op: 'eq', value: 1, weight: 2 }, ['rule.weight: is not allowed here']],
    ['a non-object', 'age > 30', ['rule: must be a rule: {all}, {any}, {not}, {field, op, value} or {bought}']],
    ['an object of no known shape', { where: 'x' }, ['rule: must be a rule: {all}, {any}, {not}, {field, op, value} or {bought}']],
    ['two shapes at once', { all: [], not: {} }, ['rule: must be exactly one rule, but has all and not']],
    ['an empty all', { all: [] }, ['rule.all: must list at least one rule']],
    ['any that is not a list', { any: { field: 'age' } }, ['rule.any: must be a list of rules']],
    ['bought without withinDays', { bought: { category: 'cars' } }, ['rule.bought.withinDays: is required']],
    ['bought with bad numbers', { bought: { withinDays: 1.5, minCount: 0 } }, ['rule.bought.withinDays: must be a whole number of days', 'rule.bought.minCount: must be at least 1']],
    ['bought with an unknown key', { bought: { withinDays: 7, amount: 100 } }, ['rule.bought.amount: is not allowed here']],
  ])('rejects %s', (_case, json, expected) => {
    expect(errorsOf(json)).toEqual(expected);
  });

  it('names the failing path inside nested rules', () => {
    expect(errorsOf({ all: [{ field: 'region', op: 'eq', value: 'East' }, { bought: { withinDays: 7 } }, { field: 'age', op: 'gt', value: 'x' }] })).toEqual([
      'rule.all[2].value: must be a number for field "age"',
    ]);
    expect(errorsOf({ any: [{ not: { all: [{ field: 'nope', op: 'eq', value: 1 }] } }] })).toEqual(['rule.any[0].not.all[0].field: unknown field "nope"']);
  });

  it('reports all errors at once, under a caller-chosen root', () => {
    const result = parseRule(
      {
        all: [
          { field: 'age', op: 'gt', value: 'x' },
          { field: 'colour', op: 'eq', value: 'red' },
          { field: 'region', op: 'in', value: [] },
          { any: [{ field: 'tier', op: 'eq', value: 'Diamond' }, { bought: { withinDays: 0 } }] },
        ],
      },
      { tiers: TIERS, path: 'body.rule' },
    );
    expect(result.ok ? [] : result.errors).toEqual([
      { field: 'body.rule.all[0].value', message: 'must be a number for field "age"' },
      { field: 'body.rule.all[1].field', message: 'unknown field "colour"' },
      { field: 'body.rule.all[2].value', message: 'must list at least one value for op "in"' },
      { field: 'body.rule.all[3].any[0].value', message: 'unknown tier "Diamond"; the tiers are VIP, Gold, Silver, Bronze, Regular' },
      { field: 'body.rule.all[3].any[1].bought.withinDays', message: 'must be at least 1' },
    ]);
  });

  it('rejects nesting deeper than 10 levels at the first level too deep', () => {
    expect(errorsOf(nest(11))).toEqual([`rule${'.not'.repeat(10)}: is nested deeper than 10 levels`]);
  });

  it('rejects more than 200 nodes, without examining the rest', () => {
    const leaves = Array.from({ length: 200 }, () => ({ field: 'age', op: 'eq', value: 1 }));
    expect(errorsOf({ any: leaves })).toEqual(['rule: has more than 200 rules; at most 200 are allowed']);
    // Each leaf has two errors (unknown field, no op); only the first 199 leaves are looked at.
    const huge = Array.from({ length: 100_000 }, () => ({ field: 'nope' }));
    const errors = errorsOf({ any: huge });
    expect(errors).toHaveLength(1 + 2 * 199);
    expect(errors[errors.length - 1]).toBe('rule.any[198].op: is required');
  });
});

describe('compileRule: values only as parameters', () => {
  const injection = "x'; drop table t; --";

  it('binds every value and keeps input strings out of the SQL text', () => {
    const rule = {
      all: [
        { field: 'region', op: 'eq', value: injection },
        { field: 'city', op: 'in', value: ['Shanghai', "O'Brien\\"] },
        { not: { field: 'country', op: 'ne', value: 'CN" or 1=1 --' } },
        { field: 'tier', op: 'eq', value: 'Gold' },
        { bought: { category: "cars'); delete from scoring.customer; --", withinDays: 30, minCount: 2 } },
      ],
    };
    const query = compiled(rule);
    expect(query.parameters).toEqual([
      injection,
      ['Shanghai', "O'Brien\\"],
      'CN" or 1=1 --',
      'Gold',
      "cars'); delete from scoring.customer; --",
      '2026-10-24T12:00:00.000Z',
      NOW.toISOString(),
      2,
    ]);
    for (const input of [injection, 'Shanghai', "O'Brien", 'CN"', 'Gold', 'cars', 'drop', 'delete', '--', '2026-']) {
      expect(query.sql).not.toContain(input);
    }
    // Every literal left in the text is one of the compiler's own constants.
    expect(query.sql.match(/'[^']*'/g)).toEqual(["'sale'"]);
    expect(query.sql).toMatch(/"c"\."region" = cast\(\$1 as text\)/);
  });

  it('binds numbers, booleans, dates and the evaluation date', () => {
    const query = compiled({ any: [{ field: 'age', op: 'between', value: [18, 30] }, { field: 'consent.sms', op: 'eq', value: true }, { field: 'birthDate', op: 'gte', value: '1990-01-01' }] });
    expect(query.parameters).toEqual(['2026-11-23', 18, 30, true, '1990-01-01']);
    expect(query.sql).toBe(
      'coalesce((extract(year from age(cast($1 as date), "c"."birth_date")) between cast($2 as numeric) and cast($3 as numeric)' +
        ` or coalesce(cast("c"."consents" ->> 'sms' as boolean), false) = cast($4 as boolean)` +
        ' or "c"."birth_date" >= cast($5 as date)), false)',
    );
  });

  it('takes ages on the calendar date of the given time zone', () => {
    const rule = { field: 'age', op: 'gte', value: 18 } as const;
    const evening = new Date('2026-11-23T20:00:00Z');
    expect(compileRule(rule, { now: evening, tiers: [] }).compile(cold).parameters[0]).toBe('2026-11-23');
    expect(compileRule(rule, { now: evening, tiers: [], timeZone: 'Asia/Shanghai' }).compile(cold).parameters[0]).toBe('2026-11-24');
  });

  it('compiles not as an exact complement and bought without minCount as a plain EXISTS', () => {
    const query = compiled({ not: { bought: { withinDays: 7 } } });
    expect(query.sql).toBe(
      'coalesce((not coalesce(exists (select 1 from "scoring"."transaction" as "t" where "t"."customer_id" = "c"."id" and "t"."type" = \'sale\'' +
        ' and "t"."occurred_at" >= cast($1 as timestamptz) and "t"."occurred_at" <= cast($2 as timestamptz)), false)), false)',
    );
    expect(query.parameters).toEqual(['2026-11-16T12:00:00.000Z', NOW.toISOString()]);
  });

  it('validates again: an unchecked rule or an unknown tier never compiles', () => {
    const attempt = (rule: unknown, tiers = TIERS) => {
      try {
        compiled(rule, tiers);
      } catch (error) {
        return error;
      }
      throw new Error('expected compileRule to throw');
    };
    const unknownColumn = attempt({ field: 'id"; drop table x; --', op: 'eq', value: 1 });
    expect(unknownColumn).toBeInstanceOf(ProblemError);
    expect((unknownColumn as ProblemError).toDocument()).toEqual(
      expect.objectContaining({ type: 'urn:crm:problem:invalid-rule', status: 422, errors: [{ field: 'rule.field', message: 'unknown field "id"; drop table x; --"' }] }),
    );
    const removedTier = attempt({ field: 'tier', op: 'eq', value: 'Gold' }, ['VIP', 'Regular']);
    expect((removedTier as ProblemError).toDocument().errors).toEqual([{ field: 'rule.value', message: 'unknown tier "Gold"; the tiers are VIP, Regular' }]);
  });

  it('selects members over customer ⟕ score, optionally among given ids', () => {
    const ids = ['0195f3a2-7c4e-7000-8000-000000000001'];
    const query = selectMembers({ field: 'city', op: 'eq', value: 'Shanghai' }, { now: NOW, tiers: [], customerIds: ids }).compile(cold);
    expect(query.sql).toBe(
      'select "c"."id" as customer_id from "scoring"."customer" as "c" left join "scoring"."customer_score" as "s" on "s"."customer_id" = "c"."id"' +
        ' where coalesce("c"."city" = cast($1 as text), false) and "c"."id" = any(cast($2 as uuid[])) order by "c"."id"',
    );
    expect(query.parameters).toEqual(['Shanghai', ids]);
  });

  it('maps every catalog field to SQL from the catalog alone', () => {
    for (const [field, definition] of Object.entries(FIELD_CATALOG)) {
      const query = compiled(definition.type === 'boolean' ? { field, op: 'eq', value: false } : { field, op: 'isNotNull' });
      expect(query.sql).toContain(`"${definition.relation === 'customer' ? 'c' : 's'}"."${definition.column}"`);
    }
    expect(describeFields().find((f) => f.name === 'age')).toEqual(expect.objectContaining({ type: 'number', operators: expect.arrayContaining(['between']) }));
  });
});

describe('ruleDependencies', () => {
  it('names the fields, the sources whose changes matter, and whether the clock does', () => {
    const rule = parseRule({
      all: [
        { field: 'region', op: 'eq', value: 'East' },
        { not: { field: 'tier', op: 'in', value: ['Gold', 'VIP'] } },
        { any: [{ bought: { category: 'cars', withinDays: 30 } }, { bought: { category: 'parts', withinDays: 7 } }] },
      ],
    });
    if (!rule.ok) throw new Error('valid rule expected');
    expect(ruleDependencies(rule.value)).toEqual({
      fields: ['region', 'tier'],
      sources: ['customer', 'score', 'transaction'],
      purchaseCategories: ['cars', 'parts'],
      anyCategory: false,
      tiers: ['Gold', 'VIP'],
      timeDependent: true,
    });
    expect(ruleDependencies({ field: 'clv', op: 'gt', value: 1 })).toEqual({ fields: ['clv'], sources: ['score'], purchaseCategories: [], anyCategory: false, tiers: [], timeDependent: false });
    expect(ruleDependencies({ field: 'age', op: 'gt', value: 1 })).toEqual(expect.objectContaining({ sources: ['customer'], timeDependent: true }));
    expect(ruleDependencies({ bought: { withinDays: 1 } })).toEqual(expect.objectContaining({ sources: ['transaction'], anyCategory: true }));
  });
});

describe('tier sets', () => {
  const tier = (name: string, rank: number, min?: number, max?: number, field = 'clv') => ({
    name,
    rank,
    rule: { field, ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) },
  });
  const tierErrors = (tiers: unknown) => {
    const result = validateTierSet(tiers);
    if (result.ok) throw new Error('expected the tier set to be rejected');
    return result.errors.map(formatError);
  };

  it('accepts the default set and a set given in any order, returning it by rank', () => {
    expect(validateTierSet(DEFAULT_TIER_SET)).toEqual({ ok: true, value: DEFAULT_TIER_SET });
    const shuffled = [tier('Regular', 3, undefined, 100), tier('VIP', 1, 500), tier('Gold', 2, 100, 500)];
    const result = validateTierSet(shuffled);
    expect(result.ok && result.value.map((t) => t.name)).toEqual(['VIP', 'Gold', 'Regular']);
    expect(validateTierSet([tier('Everyone', 1)]).ok).toBe(true);
  });

  it('detects an overlap and names the values in both tiers', () => {
    expect(tierErrors([tier('VIP', 1, 500), tier('Gold', 2, 100, 600), tier('Regular', 3, undefined, 100)])).toEqual([
      'tiers[1].rule.max: Gold (up to 600) overlaps VIP (from 500): values in [500, 600) match both (overlap)',
    ]);
  });

  it('detects a gap and names the values in no tier', () => {
    expect(tierErrors([tier('VIP', 1, 500), tier('Gold', 2, 100, 400), tier('Regular', 3, undefined, 100)])).toEqual([
      'tiers[1].rule.max: Gold ends at 400 but VIP starts at 500: values in [400, 500) match no tier (gap)',
    ]);
  });

  it('requires open ends at the top and bottom and closed bounds in between', () => {
    expect(tierErrors([tier('VIP', 1, 500, 1000), tier('Regular', 2, 0, 500)])).toEqual([
      'tiers[0].rule.max: must be omitted: VIP is the top tier, otherwise values ≥ 1000 match no tier (gap)',
      'tiers[1].rule.min: must be omitted: Regular is the lowest tier and catches everything below, otherwise values < 0 match no tier (gap)',
    ]);
    expect(tierErrors([tier('VIP', 1), tier('Regular', 2, undefined, 100)])).toEqual([
      'tiers[0].rule.min: is required: VIP ranks above Regular, without a min it overlaps every tier below (overlap)',
    ]);
    expect(tierErrors([tier('VIP', 1, 100), tier('Regular', 2)])).toEqual([
      'tiers[1].rule.max: is required: Regular ranks below VIP, without a max it overlaps every tier above (overlap)',
    ]);
  });

  it('requires ranks to rise with the values', () => {
    // A partition, but upside down: Gold would catch the biggest customers.
    expect(tierErrors([tier('VIP', 1, 100, 500), tier('Gold', 2, 500), tier('Regular', 3, undefined, 100)])).toEqual([
      'tiers[1].rank: Gold (rank 2) reaches higher values than VIP (rank 1): a higher rank must cover higher values',
    ]);
    expect(tierErrors([tier('VIP', 1, 100), tier('Gold', 2, 200, 300), tier('Regular', 3, undefined, 100)])).toEqual([
      'tiers[1].rank: Gold (rank 2) reaches higher values than VIP (rank 1): a higher rank must cover higher values',
    ]);
  });

  it('rejects bad definitions with their paths', () => {
    expect(tierErrors([])).toEqual(['tiers: must define at least one tier']);
    expect(tierErrors([{ name: ' ', rank: 0, rule: { field: 'clv', min: 'x' }, colour: 'gold' }])).toEqual([
      'tiers[0].name: must be a non-empty name without surrounding spaces',
      'tiers[0].rank: must be at least 1',
      'tiers[0].rule.min: must be a number',
      'tiers[0].colour: is not allowed here',
    ]);
    expect(tierErrors([tier('VIP', 1, 500), tier('vip', 1, undefined, 500)])).toEqual([
      'tiers[1].name: repeats the name of tiers[0]',
      'tiers[1].rank: repeats the rank of tiers[0]',
    ]);
    expect(tierErrors([tier('VIP', 1, 500), tier('Regular', 2, undefined, 500, 'revenue')])).toEqual([
      'tiers[1].rule.field: must be "clv" like tiers[0]: all tiers range over the same field',
    ]);
    expect(tierErrors([tier('VIP', 1, 5, undefined, 'rfmCell'), tier('Regular', 2, undefined, 5, 'age')])).toEqual([
      'tiers[0].rule.field: must be a numeric score field: one of recency, frequency, monetary, revenue, orderCount, clv, pAlive, needsDiversity',
      'tiers[1].rule.field: must be a numeric score field: one of recency, frequency, monetary, revenue, orderCount, clv, pAlive, needsDiversity',
    ]);
    expect(tierErrors([tier('VIP', 1, 500), tier('Gold', 2, 300, 300), tier('Regular', 3, undefined, 300)])).toEqual([
      'tiers[1].rule: min 300 must be below max 300: the range [300, 300) is empty',
    ]);
    expect(tierErrors([tier('VIP', 1, 4.5, undefined, 'monetary'), tier('Regular', 2, undefined, 7, 'monetary')])).toEqual([
      'tiers[0].rule.min: must be a whole number for field "monetary"',
      'tiers[1].rule.max: must be between 1 and 5 for field "monetary"',
    ]);
  });

  it('is exact: accepted ⇔ every value lands in exactly one tier and ranks rise with values (randomised)', () => {
    // Deterministic PRNG so a failure reproduces.
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const bound = () => (random(4) === 0 ? undefined : random(6));
    const probes = Array.from({ length: 16 }, (_, i) => i / 2 - 1); // -1, -0.5, 0, … 6.5: between and on every bound
    let accepted = 0;
    for (let run = 0; run < 3000; run++) {
      const count = 1 + random(4);
      const tiers = Array.from({ length: count }, (_, i) => tier(`T${i}`, i + 1, bound(), bound()));
      const holds = (t: TierDefinition, v: number) => (t.rule.min === undefined || v >= t.rule.min) && (t.rule.max === undefined || v < t.rule.max);
      const partition = probes.every((v) => tiers.filter((t) => holds(t as TierDefinition, v)).length === 1);
      const nonEmpty = tiers.every((t) => t.rule.min === undefined || t.rule.max === undefined || t.rule.min < t.rule.max);
      const rising = tiers.every((t, i) => i === 0 || (t.rule.max ?? Infinity) <= ((tiers[i - 1] as TierDefinition).rule.min ?? -Infinity));
      const expected = partition && nonEmpty && rising;
      expect({ tiers, ok: validateTierSet(tiers).ok }).toEqual({ tiers, ok: expected });
      if (expected) accepted++;
    }
    expect(accepted).toBeGreaterThan(20);
  });

  it('assigns the first tier by rank in TypeScript and in SQL alike', () => {
    const assign = createTierAssigner(DEFAULT_TIER_SET);
    expect([600_000, 500_000, 499_999.99, 200_000, 50_000, 10_000, 9_999, -50, null, undefined].map(assign)).toEqual([
      'VIP', 'VIP', 'Gold', 'Gold', 'Silver', 'Bronze', 'Regular', 'Regular', 'Regular', 'Regular',
    ]);
    const query = compileTierExpression(DEFAULT_TIER_SET).compile(cold);
    expect(query.sql).toMatch(/^case when "s"\."revenue" >= cast\(\$1 as numeric\) then cast\(\$2 as text\) when /);
    expect(query.sql).toMatch(/ else cast\(\$12 as text\) end$/);
    expect(query.parameters).toEqual([500_000, 'VIP', 200_000, 500_000, 'Gold', 50_000, 200_000, 'Silver', 10_000, 50_000, 'Bronze', 'Regular']);
    expect(compileTierExpression([tier('Everyone', 1) as TierDefinition]).compile(cold).sql).toBe('cast($1 as text)');
    expect(() => createTierAssigner([tier('VIP', 1, 5) as TierDefinition])).toThrow(ProblemError);
  });

  it('expresses each tier as a valid rule of the language', () => {
    expect(DEFAULT_TIER_SET.map(tierConditionRule)).toEqual([
      { field: 'revenue', op: 'gte', value: 500_000 },
      { all: [{ field: 'revenue', op: 'gte', value: 200_000 }, { field: 'revenue', op: 'lt', value: 500_000 }] },
      { all: [{ field: 'revenue', op: 'gte', value: 50_000 }, { field: 'revenue', op: 'lt', value: 200_000 }] },
      { all: [{ field: 'revenue', op: 'gte', value: 10_000 }, { field: 'revenue', op: 'lt', value: 50_000 }] },
      { any: [{ field: 'revenue', op: 'isNull' }, { field: 'revenue', op: 'lt', value: 10_000 }] },
    ]);
    for (const definition of DEFAULT_TIER_SET) expect(parseRule(tierConditionRule(definition)).ok).toBe(true);
  });
});
