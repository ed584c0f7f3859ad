import { sql } from 'kysely';
import { table, type CustomerRow } from '../customers/customers.repository';
import type { Db } from '../db/tables';
import type { DuplicateRule } from './duplicates.schemas';

export const duplicateRepository = Object.freeze({
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
