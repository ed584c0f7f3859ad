import { externalIdNamespace, SHARED_NAMESPACE, type LifecycleStage, type PartyRole, type Principal } from '@crm/domain';
import { decodeCursor, paginate, problem, Problems } from '@crm/platform';
import { sql } from 'kysely';
import { z } from 'zod';
import { loadViews, type Db, table } from '../db/customer.repository';
import type { CustomerRow } from '../db/tables';
import { dealerScope, withRevealableSurvivor } from './access';
import type { CustomerView } from './customer.model';
import { CustomerProblems } from './customer.problems';
import { visible } from './customer-lifecycle.service';

const IdCursor = z.object({ id: z.uuid() });
const SeqCursor = z.object({ seq: z.string().regex(/^\d{1,18}$/) });

export type Resolved = { kind: 'found'; row: CustomerRow } | { kind: 'moved'; survivorId: string };

/** A customer by id for reading: merged ones answer with where they moved (the route redirects). */
export async function resolveCustomer(db: Db, id: string, principal: Principal): Promise<Resolved> {
  const row = await withRevealableSurvivor(db, visible(await db.selectFrom('customer').selectAll().where('id', '=', id).executeTakeFirst(), principal, id), principal);
  if (row.status === 'merged' && row.merged_into) return { kind: 'moved', survivorId: row.merged_into };
  if (row.status === 'erased') throw problem(CustomerProblems.customerErased, `customer ${id} was erased`);
  return { kind: 'found', row };
}

export async function viewOf(db: Db, id: string): Promise<CustomerView> {
  const view = (await loadViews(db, [id])).get(id);
  if (!view) throw problem(Problems.notFound, `customer ${id} does not exist`);
  return view;
}

export interface CustomerSearch {
  q?: string | undefined;
  email?: string | undefined;
  phone?: string | undefined;
  externalSystem?: string | undefined;
  externalId?: string | undefined;
  role?: PartyRole | undefined;
  lifecycleStage?: LifecycleStage | undefined;
  dealerId?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** Keyset-paginated search over active customers, confined to the dealer for dealer principals. */
export async function searchCustomers(db: Db, search: CustomerSearch, principal: Principal, trigram: boolean) {
  const after = decodeCursor(search.cursor, IdCursor);
  const scope = dealerScope(principal);
  let query = db.selectFrom('customer').select('id').where('status', '=', 'active');
  if (scope) query = query.where('dealer_id', '=', scope);
  if (search.dealerId) query = query.where('dealer_id', '=', search.dealerId);
  if (search.lifecycleStage) query = query.where('lifecycle_stage', '=', search.lifecycleStage);
  if (search.role) query = query.where(sql<boolean>`roles @> array[${search.role}]::text[]`);
  if (search.email) query = query.where(sql<boolean>`emails @> array[${search.email}]::text[]`);
  if (search.phone) query = query.where(sql<boolean>`phones @> array[${search.phone}]::text[]`);
  if (search.externalSystem && search.externalId) {
    const { externalSystem, externalId } = search;
    // A dealer finds by its own namespace and the shared one (ADR 0008); staff and integrations by any.
    query = query.where('id', 'in', (eb) => {
      const match = eb.selectFrom('external_id').select('customer_id').where('system', '=', externalSystem).where('external_id', '=', externalId);
      return scope ? match.where('namespace', 'in', [externalIdNamespace(principal), SHARED_NAMESPACE]) : match;
    });
  }
  if (search.q) {
    const q = search.q.toLowerCase();
    const prefix = `${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where(
      trigram
        ? sql<boolean>`(lower(display_name) like ${prefix} or lower(display_name) % ${q})`
        : sql<boolean>`lower(display_name) like ${prefix}`,
    );
  }
  if (after) query = query.where('id', '>', after.id);
  const ids = (await query.orderBy('id').limit(search.limit + 1).execute()).map((r) => r.id);
  const views = await loadViews(db, ids.slice(0, search.limit));
  return paginate(ids, search.limit, (id) => views.get(id) as CustomerView, (id) => ({ id }));
}

export type DuplicateRule = 'email' | 'phone' | 'name_birthday';

/** Candidates sharing a normalised e-mail, an E.164 phone, or a similar name with the same birthday. */
export async function findDuplicates(db: Db, row: CustomerRow, principal: Principal, trigram: boolean) {
  const scope = dealerScope(principal);
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
  const views = await loadViews(db, rows.map((r) => r.id));
  return rows.map((r) => ({ customer: views.get(r.id) as CustomerView, rules: r.rules, score: Number(r.score) }));
}

export async function timelinePage(db: Db, customerId: string, limit: number, cursor: string | undefined) {
  const after = decodeCursor(cursor, SeqCursor);
  let query = db.selectFrom('timeline_entry').selectAll().where('customer_id', '=', customerId);
  if (after) query = query.where('id', '<', after.seq);
  const rows = await query.orderBy('id', 'desc').limit(limit + 1).execute();
  return paginate(
    rows,
    limit,
    (r) => ({ type: r.type, source: r.source, occurredAt: new Date(r.occurred_at).toISOString(), data: r.data as Record<string, unknown> }),
    (r) => ({ seq: r.id }),
  );
}

/** Everything held on a person (GDPR art. 15/20): profile, identifiers, contacts, consent history, timeline. */
export async function exportCustomer(db: Db, id: string) {
  const [customer, contacts, consents, timeline] = await Promise.all([
    viewOf(db, id),
    db.selectFrom('contact').selectAll().where((eb) => eb.or([eb('organization_id', '=', id), eb('person_id', '=', id)])).execute(),
    db.selectFrom('consent').selectAll().where('customer_id', '=', id).orderBy('recorded_at').orderBy('id').execute(),
    db.selectFrom('timeline_entry').selectAll().where('customer_id', '=', id).orderBy('id').execute(),
  ]);
  return {
    exportedAt: new Date().toISOString(),
    customer,
    contacts: contacts.map((c) => ({ id: c.id, organizationId: c.organization_id, personId: c.person_id, buyingRole: c.buying_role, jobTitle: c.job_title })),
    consentHistory: consents.map((c) => ({ channel: c.channel, granted: c.granted, source: c.source, recordedAt: new Date(c.recorded_at).toISOString() })),
    timeline: timeline.map((t) => ({ type: t.type, source: t.source, occurredAt: new Date(t.occurred_at).toISOString(), data: t.data })),
  };
}
