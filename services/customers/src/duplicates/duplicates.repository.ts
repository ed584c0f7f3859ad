import { sql } from 'kysely';
import { table, type CustomerRow } from '../customers/customers.repository';
import type { Db } from '../db/tables';
import type { CustomerMatch, DuplicateRule } from './duplicates.schemas';

export const duplicateRepository = Object.freeze({
  /**
   * Active customers holding each item's normalised e-mail or E.164 phone, in one statement (the GIN
   * indexes on emails and phones), within a dealer's customers when `dealerScope` is given.
   */
  async matches(db: Db, items: readonly { email?: string; phone?: string }[], dealerScope: string | undefined): Promise<(CustomerMatch & { index: number })[]> {
    const { rows } = await sql<{ index: number; customer_id: string; dealer_id: string | null; kind: 'person' | 'organization'; matched_on: 'email' | 'phone' }>`
      select m.index::int as index, c.id as customer_id, c.dealer_id, c.kind, v.matched_on
      from unnest(${items.map((item) => item.email ?? null)}::text[], ${items.map((item) => item.phone ?? null)}::text[])
        with ordinality as m(email, phone, index)
      cross join lateral (values ('email', m.email), ('phone', m.phone)) as v(matched_on, value)
      join ${table('customer')} c on c.status = 'active' and v.value is not null
        and ((v.matched_on = 'email' and c.emails @> array[v.value]) or (v.matched_on = 'phone' and c.phones @> array[v.value]))
      where ${dealerScope ?? null}::uuid is null or c.dealer_id = ${dealerScope ?? null}::uuid
      order by m.index, c.id, v.matched_on`.execute(db);
    return rows.map((row) => ({ index: row.index - 1, customerId: row.customer_id, dealerId: row.dealer_id, kind: row.kind, on: row.matched_on }));
  },

  /**
   * Active customers of the same kind sharing a normalised e-mail, an E.164 phone, or a similar name
   * (pg_trgm; else the same name) with the same birthday: best 50, most rules matched first.
   */
  async candidates(db: Db, row: CustomerRow, options: { dealerScope: string | undefined; trigram: boolean }): Promise<{ id: string; rules: DuplicateRule[]; score: number }[]> {
    const { dealerScope: scope, trigram } = options;
    const nameMatch = trigram
      ? sql<boolean>`similarity(lower(c.display_name), lower(${row.display_name})) >= 0.5`
      : sql<boolean>`lower(c.display_name) = lower(${row.display_name})`;
    const { rows } = await sql<{ id: string; rules: DuplicateRule[]; score: number }>`
      select id, rules, score from (
        select c.id,
          array_remove(array[
            case when c.emails && ${row.emails}::text[] then 'email' end,
            case when c.phones && ${row.phones}::text[] then 'phone' end,
            case when c.birth_date is not null and c.birth_date = ${row.birth_date}::date and ${nameMatch} then 'name_birthday' end
          ], null) as rules,
          ${trigram ? sql`similarity(lower(c.display_name), lower(${row.display_name}))` : sql`1.0`}::float8 as score
        from ${table('customer')} c
        where c.status = 'active' and c.id <> ${row.id} and c.kind = ${row.kind}
          ${scope ? sql`and c.dealer_id = ${scope}` : sql``}
          and (c.emails && ${row.emails}::text[] or c.phones && ${row.phones}::text[]
               or (c.birth_date = ${row.birth_date}::date and ${nameMatch}))
      ) m where cardinality(rules) > 0
      order by cardinality(rules) desc, score desc, id
      limit 50`.execute(db);
    return rows.map((r) => ({ id: r.id, rules: r.rules, score: Number(r.score) }));
  },
});
