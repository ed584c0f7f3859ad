import { calendarDate, SalesLeadEvents, type Principal } from '@crm/domain';
import { batchItemError, contactDigest, customerDirectory, erasePlatformRecords, decodeCursor, encodeCursor, idempotencyScope, issuesDetail, ndjsonStopLine, onceForKey, problem, Problems, refusedLineError, requestHash, requireIfMatch, type IndexedValue, type NdjsonReader, type Outbox, type Runtime } from '@crm/platform';
import { z } from 'zod';
import type { CustomerLifecycle } from '../customer-directory/customer-lifecycle';
import { customerTierRepository } from '../customer-directory/customer-tier.repository';
import type { SalesDb } from '../db/tables';
import { inScope, type SalesScope } from '../ownership/ownership';
import { SalesProblems } from '../sales.problems';
import { addBusinessHours, startOfLocalDay } from '../business-hours';
import type { CustomersClient, CustomerMatch } from './customers.client';
import { leadRepository, type LeadRow, type NewLeadRow, type RoutingRow, type TouchRow } from './lead.repository';
import { NewLead, type AssignLead, type CaptureResult, type CaptureSummary, type ConvertLead, type Lead, type LeadChanges, type LeadListQuery } from './lead.schemas';
import { OPEN_LEAD_STATUSES, type LeadStatus, type RoutingCause } from './lead.tables';
import { rateLead, type RatableLead } from './lead-rating.rules';
import { routeLead, type RepTurn, type RoutableLead, type RoutingDecision } from './lead-routing.rules';
import { ratingRuleOf, routingRuleOf } from './lead-rules.service';
import type { OpportunityCreator } from './opportunity-creator';
import { callerScope } from '../ownership/caller-scope';

/** An NDJSON stream is taken this many lines at a time: one matches call, one dedupe query, one insert each. */
export const LEAD_CHUNK = 1000;
const SLA_PASS = 500;
const HOUR = 3_600_000;

type Write = <T>(work: (trx: SalesDb) => Promise<T>) => Promise<T>;
export interface LeadServiceDeps {
  db: SalesDb;
  runtime: Runtime;
  outbox: Outbox;
  write: Write;
  timeZone: string;
  customers: CustomersClient;
  opportunities: OpportunityCreator;
  /** The suite's shared secret: keys the contact digests an erasure finds unlinked leads by. */
  internalSecret: string;
}

const iso = (date: Date | null) => date?.toISOString() ?? null;
const byOf = (principal: Principal) => `${principal.kind}:${principal.subject}`;

function leadOf(row: LeadRow, now: Date, detail?: { routing: RoutingRow[]; touches: TouchRow[] }): Lead {
  return {
    id: row.id,
    status: row.status,
    channel: row.channel,
    source: row.source,
    campaignRef: row.campaign_ref,
    name: row.name,
    email: row.email,
    phone: row.phone,
    province: row.province,
    city: row.city,
    productLine: row.product_line,
    modelOfInterest: row.model_of_interest,
    purchaseTimeframe: row.purchase_timeframe,
    budget: row.budget_amount !== null && row.budget_currency !== null ? { amount: row.budget_amount, currency: row.budget_currency } : null,
    testDriveRequested: row.test_drive_requested,
    notes: row.notes,
    customerId: row.customer_id,
    rating: row.rating,
    ratingRuleId: row.rating_rule_id,
    dealerId: row.dealer_id,
    ownerSubject: row.owner_subject,
    assignmentRuleId: row.assignment_rule_id,
    assignedAt: iso(row.assigned_at),
    slaDueAt: iso(row.sla_due_at),
    slaBreachedAt: iso(row.sla_breached_at),
    acceptedAt: iso(row.accepted_at),
    firstContactAt: iso(row.first_contact_at),
    closedAt: iso(row.closed_at),
    disqualifyReason: row.disqualify_reason,
    opportunityId: row.opportunity_id,
    ageHours: Math.round(((row.closed_at ?? now).getTime() - row.created_at.getTime()) / (HOUR / 10)) / 10,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    version: row.version,
    ...(detail
      ? {
          routing: detail.routing.map((r) => ({ ruleId: r.rule_id, ruleName: r.rule_name, reason: r.reason, dealerId: r.dealer_id, ownerSubject: r.owner_subject, at: r.at.toISOString() })),
          touches: detail.touches.map((t) => ({ id: t.id, channel: t.channel, source: t.source, campaignRef: t.campaign_ref, matchedOn: t.matched_on, notes: t.notes, at: t.at.toISOString(), by: t.by })),
        }
      : {}),
  };
}

const ratableOf = (row: Pick<LeadRow, 'purchase_timeframe' | 'budget_amount' | 'budget_currency' | 'model_of_interest' | 'product_line' | 'test_drive_requested' | 'channel'>, tier: string | null): RatableLead => ({
  purchaseTimeframe: row.purchase_timeframe,
  budget: row.budget_amount !== null && row.budget_currency !== null ? { amount: row.budget_amount, currency: row.budget_currency } : null,
  modelOfInterest: row.model_of_interest,
  productLine: row.product_line,
  testDriveRequested: row.test_drive_requested,
  channel: row.channel,
  customerTier: tier,
});

const routableOf = (row: Pick<LeadRow, 'province' | 'city' | 'product_line' | 'rating' | 'channel' | 'passed_dealer_ids'>): RoutableLead => ({
  province: row.province,
  city: row.city,
  productLine: row.product_line,
  rating: row.rating,
  channel: row.channel,
  passedDealerIds: row.passed_dealer_ids,
});

const captureTally = {
  initial: { received: 0, created: 0, deduplicated: 0, errors: 0 },
  add: (summary: CaptureSummary, results: CaptureResult[]): CaptureSummary => ({
    received: summary.received + results.length,
    created: summary.created + results.filter((r) => r.status === 'created').length,
    deduplicated: summary.deduplicated + results.filter((r) => r.status === 'deduplicated').length,
    errors: summary.errors + results.filter((r) => r.status === 'error').length,
  }),
};

/** A capture ready to write: the validated lead, its customer (given or matched) and how the match went. */
interface Prepared {
  index: number;
  input: NewLead;
  customerId: string | null;
  matched?: { customerId: string; on: 'email' | 'phone' | 'given' };
  customerMatch: 'matched' | 'none' | 'unavailable' | 'skipped';
}

const Cursor = z.object({ at: z.iso.datetime(), id: z.uuid() });

/** Leads: capture (deduped, rated, routed), the lifecycle, first-contact SLAs, conversion, reports. */
export function createLeadService(deps: LeadServiceDeps) {
  const { db, runtime, outbox } = deps;
  const scopeOf = (principal: Principal, executor: SalesDb = db) => callerScope(executor, principal);
  const digestOf = (contactPoint: string | null | undefined) => (contactPoint ? contactDigest(deps.internalSecret, contactPoint) : null);

  /** The lead if the principal may see it; otherwise the same 404 as for one that does not exist. */
  const visibleLead = async (executor: SalesDb, principal: Principal, id: string, forUpdate = false) => {
    const row = await leadRepository.find(executor, id, { forUpdate });
    if (!row || !inScope(await scopeOf(principal, executor), row)) throw problem(Problems.notFound, `lead ${id} does not exist`);
    return row;
  };

  /**
   * Routing within one transaction: the active rules and the teams' round-robin state are loaded once,
   * every placement advances the state in memory, `flush` writes the turns in one statement.
   */
  const openRouter = async (trx: SalesDb, now: Date) => {
    const rules = (await leadRepository.listAssignmentRules(trx, { activeOnly: true })).map(routingRuleOf);
    const teamIds = [...new Set(rules.flatMap((rule) => (rule.target === 'team' && rule.teamId ? [rule.teamId] : [])))];
    const teams = new Map<string, RepTurn[]>();
    let clock = now.getTime();
    for (const rep of await leadRepository.repsOf(trx, teamIds)) {
      const turn = rep.last_assigned_at?.getTime() ?? 0;
      clock = Math.max(clock, turn);
      teams.set(rep.team_id, [...(teams.get(rep.team_id) ?? []), { subject: rep.subject, capacity: rep.capacity, open: rep.open, turn }]);
    }
    const turns = new Map<string, { team_id: string; subject: string; at: string }>();
    return {
      place(lead: RoutableLead, at: Date): { decision: RoutingDecision; slaDueAt: Date | null } {
        const decision = routeLead(lead, rules, teams, { next: () => ++clock });
        const { placement } = decision;
        if (placement.kind === 'rep') {
          const rep = teams.get(placement.teamId)?.find((r) => r.subject === placement.subject);
          if (rep) turns.set(`${placement.teamId}/${rep.subject}`, { team_id: placement.teamId, subject: rep.subject, at: new Date(rep.turn).toISOString() });
        }
        const hours = decision.rule?.slaBusinessHours ?? null;
        return { decision, slaDueAt: hours !== null && placement.kind !== 'queue' ? addBusinessHours(at, hours, deps.timeZone) : null };
      },
      flush: () => leadRepository.advanceTurns(trx, [...turns.values()]),
    };
  };
  type Router = Awaited<ReturnType<typeof openRouter>>;

  /** The lead's columns and routing step for a placement. */
  const placementOf = (leadId: string, decision: RoutingDecision, slaDueAt: Date | null, cause: RoutingCause, at: Date) => {
    const dealerId = decision.placement.kind === 'dealer' ? decision.placement.dealerId : null;
    const ownerSubject = decision.placement.kind === 'rep' ? decision.placement.subject : null;
    const queued = decision.placement.kind === 'queue';
    return {
      columns: { status: (queued ? 'queued' : 'assigned') as LeadStatus, dealer_id: dealerId, owner_subject: ownerSubject, assignment_rule_id: decision.rule?.id ?? null, assigned_at: queued ? null : at, sla_due_at: slaDueAt, sla_breached_at: null },
      step: { lead_id: leadId, rule_id: decision.rule?.id ?? null, rule_name: decision.rule?.name ?? null, reason: decision.reason, dealer_id: dealerId, owner_subject: ownerSubject, cause, at },
      event: { leadId, ruleId: decision.rule?.id ?? null, dealerId, ownerSubject, queued, slaDueAt: iso(slaDueAt), cause, routedAt: at.toISOString() },
    };
  };

  /**
   * Before the transaction: the customers the leads are about. A given id must be in the caller's
   * scope of the directory; the others are matched by e-mail/phone with ONE call to the customers service.
   */
  const prepare = async (principal: Principal, items: { index: number; input: NewLead }[]): Promise<{ prepared: Prepared[]; errors: CaptureResult[] }> => {
    const errors: CaptureResult[] = [];
    const given = [...new Set(items.flatMap((item) => (item.input.customerId ? [item.input.customerId] : [])))];
    const survivors = await customerDirectory.survivorsOf(db, given);
    const known = new Map((await customerDirectory.findMany(db, given.map((id) => survivors.get(id) ?? id))).map((c) => [c.id, c]));
    const toMatch = items.filter((item) => !item.input.customerId && (item.input.email || item.input.phone));
    const matches = await deps.customers.match(principal, toMatch.map(({ input }) => ({ ...(input.email ? { email: input.email } : {}), ...(input.phone ? { phone: input.phone } : {}) })));
    const matchOf = new Map<number, CustomerMatch | null>(toMatch.map((item, at) => [item.index, matches === 'unavailable' ? null : (matches[at] ?? null)]));
    const prepared: Prepared[] = [];
    for (const { index, input } of items) {
      if (input.customerId) {
        const customer = known.get(survivors.get(input.customerId) ?? input.customerId);
        if (!customer || (principal.kind === 'dealer' && customer.dealer_id !== principal.dealerId)) {
          errors.push({ index, status: 'error', error: batchItemError(Problems.notFound, `customer ${input.customerId} does not exist`) });
          continue;
        }
        prepared.push({ index, input, customerId: customer.id, matched: { customerId: customer.id, on: 'given' }, customerMatch: 'matched' });
        continue;
      }
      if (!matchOf.has(index)) {
        prepared.push({ index, input, customerId: null, customerMatch: 'skipped' });
        continue;
      }
      const match = matchOf.get(index) ?? null;
      if (match) prepared.push({ index, input, customerId: match.customerId, matched: { customerId: match.customerId, on: match.on }, customerMatch: 'matched' });
      else prepared.push({ index, input, customerId: null, customerMatch: matches === 'unavailable' ? 'unavailable' : 'none' });
    }
    return { prepared, errors };
  };

  /**
   * In the transaction, set-based: one dedupe query against open leads (and within the batch), the
   * rules and round-robin state loaded once, one insert per table, the events appended in one statement each.
   */
  const apply = async (trx: SalesDb, principal: Principal, prepared: Prepared[]): Promise<CaptureResult[]> => {
    if (prepared.length === 0) return [];
    const now = runtime.now();
    const by = byOf(principal);
    const ratingRules = (await leadRepository.listRatingRules(trx, { activeOnly: true })).map(ratingRuleOf);
    const router: Router | undefined = principal.kind === 'dealer' ? undefined : await openRouter(trx, now);
    const tiers = await customerTierRepository.tiersOf(trx, [...new Set(prepared.flatMap((p) => (p.customerId ? [p.customerId] : [])))]);
    const emails = [...new Set(prepared.flatMap((p) => (p.input.email ? [p.input.email] : [])))];
    const phones = [...new Set(prepared.flatMap((p) => (p.input.phone ? [p.input.phone] : [])))];
    const byEmail = new Map<string, string>();
    const byPhone = new Map<string, string>();
    await leadRepository.lockContacts(trx, [...emails, ...phones]);
    // A dealer's capture is deduplicated against its own leads only: attaching it to another dealer's lead
    // would tell it that someone else is working this person. The manufacturer's captures see every lead.
    const dedupeScope: SalesScope = principal.kind === 'dealer' ? { kind: 'dealer', dealerId: principal.dealerId } : { kind: 'all' };
    for (const open of await leadRepository.openByContact(trx, dedupeScope, emails, phones)) {
      if (open.email && !byEmail.has(open.email)) byEmail.set(open.email, open.id);
      if (open.phone && !byPhone.has(open.phone)) byPhone.set(open.phone, open.id);
    }

    const results: CaptureResult[] = [];
    const leads: NewLeadRow[] = [];
    const touches: TouchRow[] = [];
    const steps: ReturnType<typeof placementOf>['step'][] = [];
    const captured: Parameters<typeof outbox.append<typeof SalesLeadEvents.captured>>[2][] = [];
    const routed: ReturnType<typeof placementOf>['event'][] = [];
    const touched: Parameters<typeof outbox.append<typeof SalesLeadEvents.touched>>[2][] = [];
    for (const { index, input, customerId, matched, customerMatch } of prepared) {
      const emailDuplicate = input.email ? byEmail.get(input.email) : undefined;
      const duplicate = emailDuplicate ? { leadId: emailDuplicate, on: 'email' as const } : input.phone && byPhone.get(input.phone) ? { leadId: byPhone.get(input.phone)!, on: 'phone' as const } : undefined;
      if (duplicate) {
        const touchId = runtime.newId();
        touches.push({ id: touchId, lead_id: duplicate.leadId, channel: input.channel, source: input.source ?? null, campaign_ref: input.campaignRef ?? null, matched_on: duplicate.on, notes: input.notes ?? null, at: now, by });
        touched.push({ leadId: duplicate.leadId, touchId, channel: input.channel, campaignRef: input.campaignRef ?? null, on: duplicate.on, touchedAt: now.toISOString() });
        results.push({ index, status: 'deduplicated', leadId: duplicate.leadId, deduplicated: duplicate, customerMatch, ...(matched ? { matchedCustomer: matched } : {}) });
        continue;
      }
      const id = runtime.newId();
      const fields = {
        channel: input.channel,
        purchase_timeframe: input.purchaseTimeframe,
        budget_amount: input.budget?.amount ?? null,
        budget_currency: input.budget?.currency ?? null,
        model_of_interest: input.modelOfInterest ?? null,
        product_line: input.productLine ?? null,
        test_drive_requested: input.testDriveRequested,
        province: input.province ?? null,
        city: input.city ?? null,
      };
      const { rating, ruleId } = rateLead(ratableOf(fields, customerId ? (tiers.get(customerId) ?? null) : null), ratingRules);
      // A dealer's own capture stays with it; everything else goes through the assignment rules.
      const { decision, slaDueAt } = router
        ? router.place(routableOf({ ...fields, rating, passed_dealer_ids: [] }), now)
        : { decision: { rule: null, placement: { kind: 'dealer' as const, dealerId: (principal as { dealerId: string }).dealerId }, reason: 'captured by the dealer itself' }, slaDueAt: null };
      const placement = placementOf(id, decision, slaDueAt, 'capture', now);
      leads.push({
        id,
        ...fields,
        ...placement.columns,
        source: input.source ?? null,
        campaign_ref: input.campaignRef ?? null,
        name: input.name ?? null,
        email: input.email ?? null,
        phone: input.phone ?? null,
        email_digest: digestOf(input.email),
        phone_digest: digestOf(input.phone),
        notes: input.notes ?? null,
        customer_id: customerId,
        rating,
        rating_rule_id: ruleId,
        accepted_at: null,
        first_contact_at: null,
        closed_at: null,
        disqualify_reason: null,
        opportunity_id: null,
        captured_by: by,
        created_at: now,
        updated_at: now,
      });
      steps.push(placement.step);
      captured.push({ leadId: id, channel: input.channel, campaignRef: input.campaignRef ?? null, customerId, rating, ratingRuleId: ruleId, capturedAt: now.toISOString() });
      routed.push(placement.event);
      if (input.email) byEmail.set(input.email, id);
      if (input.phone) byPhone.set(input.phone, id);
      results.push({
        index,
        status: 'created',
        leadId: id,
        rating,
        customerMatch,
        ...(matched ? { matchedCustomer: matched } : {}),
        routing: { dealerId: placement.step.dealer_id, ownerSubject: placement.step.owner_subject, queued: placement.event.queued, reason: decision.reason },
      });
    }
    await leadRepository.insertLeads(trx, leads);
    await leadRepository.insertTouches(trx, touches);
    await leadRepository.insertFirstSteps(trx, steps);
    await router?.flush();
    await outbox.appendMany(trx, SalesLeadEvents.captured, captured);
    await outbox.appendMany(trx, SalesLeadEvents.routed, routed);
    await outbox.appendMany(trx, SalesLeadEvents.touched, touched);
    return results;
  };

  /** A chunk's reading part: validated item by item (a bad item is its own error result), customers resolved and matched. */
  const prepareChunk = async (principal: Principal, items: IndexedValue[], refused: CaptureResult[]) => {
    const valid: { index: number; input: NewLead }[] = [];
    const results: CaptureResult[] = [...refused];
    for (const { index, value } of items) {
      const parsed = NewLead.safeParse(value);
      if (parsed.success) valid.push({ index, input: parsed.data });
      else results.push({ index, status: 'error', error: batchItemError(Problems.validation, issuesDetail(parsed.error.issues, '(item)')) });
    }
    const { prepared, errors } = await prepare(principal, valid);
    return { prepared, results: [...results, ...errors] };
  };

  /** A chunk's writing part: one transaction; the results in the items' order. */
  const applyChunk = async (principal: Principal, chunk: Awaited<ReturnType<typeof prepareChunk>>): Promise<CaptureResult[]> => {
    const written = await deps.write((trx) => apply(trx, principal, chunk.prepared));
    return [...chunk.results, ...written].sort((a, b) => a.index - b.index);
  };

  /**
   * An NDJSON batch: chunk after chunk, each answered as soon as it is written; the next chunk is read,
   * validated and matched (a call to the customers service) while the current one is written. Writes stay
   * in order, so a chunk's dedupe sees every lead of the chunks before it.
   */
  async function* captureLines(principal: Principal, lines: NdjsonReader): AsyncGenerator<string> {
    const chunks = lines.chunks(LEAD_CHUNK)[Symbol.asyncIterator]();
    const readNext = async () => {
      const next = await chunks.next();
      if (next.done) return undefined;
      const items = next.value.flatMap((line) => ('error' in line ? [] : [line]));
      const refused = next.value.flatMap((line) => ('error' in line ? [{ index: line.index, status: 'error' as const, error: refusedLineError(line) }] : []));
      return prepareChunk(principal, items, refused);
    };
    let summary = captureTally.initial;
    let pending = readNext();
    try {
      for (let chunk = await pending; chunk; chunk = await pending) {
        pending = readNext();
        const results = await applyChunk(principal, chunk);
        summary = captureTally.add(summary, results);
        yield results.map((result) => `${JSON.stringify(result)}\n`).join('');
      }
    } finally {
      // A failed write ends the answer; the chunk read ahead is dropped (never written).
      pending.catch(() => undefined);
    }
    yield `${JSON.stringify({ summary })}\n`;
    if (lines.stopped) yield ndjsonStopLine(lines.stopped);
  }

  /**
   * Rejection or SLA breach: the lead moves on to the next rule or dealer; the one passed over is
   * remembered. A change to a queued lead: it is placed if a rule now takes it (else it stays as it is).
   */
  const reroute = async (trx: SalesDb, lead: LeadRow, router: Router, cause: RoutingCause, at: Date) => {
    const passed = lead.dealer_id && !lead.passed_dealer_ids.includes(lead.dealer_id) ? [...lead.passed_dealer_ids, lead.dealer_id] : lead.passed_dealer_ids;
    const { decision, slaDueAt } = router.place(routableOf({ ...lead, passed_dealer_ids: passed }), at);
    if (cause === 'change' && decision.placement.kind === 'queue') return lead;
    const placement = placementOf(lead.id, decision, slaDueAt, cause, at);
    const row = await leadRepository.update(trx, lead.id, { ...placement.columns, passed_dealer_ids: passed, accepted_at: null, updated_at: at });
    await leadRepository.appendRouting(trx, [placement.step]);
    await outbox.append(trx, SalesLeadEvents.routed, placement.event);
    return row;
  };

  /** A lifecycle step on a visible lead in one of the `from` states (409 otherwise). */
  const transition = async <T>(principal: Principal, id: string, from: readonly LeadStatus[], step: (trx: SalesDb, lead: LeadRow, at: Date) => Promise<T>): Promise<T> =>
    deps.write(async (trx) => {
      const lead = await visibleLead(trx, principal, id, true);
      if (!from.includes(lead.status)) throw problem(SalesProblems.invalidTransition, `lead ${id} is ${lead.status}`);
      return step(trx, lead, runtime.now());
    });

  const withDetail = async (executor: SalesDb, row: LeadRow) => leadOf(row, runtime.now(), { routing: await leadRepository.routingOf(executor, row.id), touches: await leadRepository.touchesOf(executor, row.id) });
  const partyOf = (lead: LeadRow) => ({ dealerId: lead.dealer_id, ownerSubject: lead.owner_subject });

  /** Records the first contact once; false when one was recorded already. */
  const firstContact = async (trx: SalesDb, leadId: string, at: Date): Promise<boolean> => {
    const row = await leadRepository.recordFirstContact(trx, leadId, at, runtime.now());
    if (!row) return false;
    await leadRepository.markPlacement(trx, leadId, 'contacted_at', at);
    const withinSla = row.sla_due_at ? at.getTime() <= row.sla_due_at.getTime() : null;
    await outbox.append(trx, SalesLeadEvents.contacted, { leadId, ...partyOf(row), contactedAt: at.toISOString(), withinSla });
    return true;
  };

  return Object.freeze({
    /** One lead, once per Idempotency-Key: created (201) or attached to an open lead with the same e-mail or phone (200). */
    async capture(principal: Principal, input: NewLead, idempotencyKey: string | undefined): Promise<{ statusCode: number; body: unknown }> {
      const { prepared, errors } = await prepare(principal, [{ index: 0, input }]);
      if (errors[0]?.error) throw problem(Problems.notFound, errors[0].error.detail);
      return deps.write((trx) =>
        onceForKey(trx, { scope: idempotencyScope('leads.capture', principal), key: idempotencyKey, hash: requestHash(input) }, async () => {
          const [result] = await apply(trx, principal, prepared);
          const lead = (await leadRepository.find(trx, result!.leadId!))!;
          const { index: _index, status, ...capture } = result!;
          // A capture attached to someone else's lead says which, but shows nothing of it.
          const visible = status === 'created' || inScope(await scopeOf(principal, trx), lead);
          return { statusCode: status === 'created' ? 201 : 200, body: { ...capture, outcome: status, ...(visible ? { lead: await withDetail(trx, lead) } : {}) } };
        }),
      );
    },

    async captureBatch(principal: Principal, items: IndexedValue[]) {
      const results = await applyChunk(principal, await prepareChunk(principal, items, []));
      return { results, summary: captureTally.add(captureTally.initial, results) };
    },

    captureStream(principal: Principal, lines: NdjsonReader): AsyncGenerator<string> {
      return captureLines(principal, lines);
    },

    async get(principal: Principal, id: string): Promise<Lead> {
      return withDetail(db, await visibleLead(db, principal, id));
    },

    async list(principal: Principal, query: LeadListQuery) {
      const before = decodeCursor(query.cursor, Cursor);
      const rows = await leadRepository.list(db, await scopeOf(principal), {
        status: query.status,
        rating: query.rating,
        dealerId: query.dealerId,
        ownerSubject: query.ownerSubject,
        channel: query.channel,
        createdFrom: query.createdFrom ? new Date(query.createdFrom) : undefined,
        createdTo: query.createdTo ? new Date(query.createdTo) : undefined,
        before: before ? { at: new Date(before.at), id: before.id } : undefined,
        limit: query.limit + 1,
      });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      const now = runtime.now();
      return { items: page.map((row) => leadOf(row, now)), nextCursor: rows.length > query.limit && last ? encodeCursor({ at: last.created_at.toISOString(), id: last.id }) : null };
    },

    /** The fields given change; the rating is recomputed from the rules (and the customer's tier). */
    async update(principal: Principal, id: string, changes: LeadChanges, ifMatch: string | undefined): Promise<Lead> {
      return deps.write(async (trx) => {
        const current = await visibleLead(trx, principal, id, true);
        requireIfMatch(ifMatch, current.version);
        if (!OPEN_LEAD_STATUSES.includes(current.status)) throw problem(SalesProblems.invalidTransition, `lead ${id} is ${current.status}: it no longer changes`);
        const pick = <K extends keyof LeadChanges, C>(key: K, column: C, value: (v: NonNullable<LeadChanges[K]>) => unknown = (v) => v) =>
          changes[key] === undefined ? {} : { [column as string]: changes[key] === null ? null : value(changes[key]) };
        const columns = {
          ...pick('name', 'name'),
          ...pick('email', 'email'),
          ...pick('phone', 'phone'),
          ...(changes.email === undefined ? {} : { email_digest: digestOf(changes.email) }),
          ...(changes.phone === undefined ? {} : { phone_digest: digestOf(changes.phone) }),
          ...pick('province', 'province'),
          ...pick('city', 'city'),
          ...pick('productLine', 'product_line'),
          ...pick('modelOfInterest', 'model_of_interest'),
          ...pick('purchaseTimeframe', 'purchase_timeframe'),
          ...pick('testDriveRequested', 'test_drive_requested'),
          ...pick('notes', 'notes'),
          ...(changes.budget === undefined ? {} : { budget_amount: changes.budget?.amount ?? null, budget_currency: changes.budget?.currency ?? null }),
        } as Partial<LeadRow>;
        const next = { ...current, ...columns };
        const tier = next.customer_id ? ((await customerTierRepository.tiersOf(trx, [next.customer_id])).get(next.customer_id) ?? null) : null;
        const { rating, ruleId } = rateLead(ratableOf(next, tier), (await leadRepository.listRatingRules(trx, { activeOnly: true })).map(ratingRuleOf));
        const at = runtime.now();
        let row = await leadRepository.update(trx, id, { ...columns, rating, rating_rule_id: ruleId, updated_at: at });
        // The rating (and territory, product line) drive routing: a queued lead a rule now takes is placed.
        if (row.status === 'queued') {
          const router = await openRouter(trx, at);
          row = await reroute(trx, row, router, 'change', at);
          await router.flush();
        }
        return withDetail(trx, row);
      });
    },

    async accept(principal: Principal, id: string): Promise<Lead> {
      return transition(principal, id, ['assigned'], async (trx, lead, at) => {
        const row = await leadRepository.update(trx, id, { status: 'accepted', accepted_at: at, updated_at: at });
        await leadRepository.markPlacement(trx, id, 'accepted_at', at);
        await outbox.append(trx, SalesLeadEvents.accepted, { leadId: id, ...partyOf(lead), acceptedAt: at.toISOString() });
        return withDetail(trx, row);
      });
    },

    /** The assignee passes the lead on: it is routed again, past the dealers that passed it on before. */
    async reject(principal: Principal, id: string, reasonCode: string): Promise<void> {
      await transition(principal, id, ['assigned', 'accepted'], async (trx, lead, at) => {
        await leadRepository.markPlacement(trx, id, 'rejected_at', at);
        await outbox.append(trx, SalesLeadEvents.rejected, { leadId: id, ...partyOf(lead), reasonCode, rejectedAt: at.toISOString() });
        const router = await openRouter(trx, at);
        await reroute(trx, lead, router, 'rejection', at);
        await router.flush();
      });
    },

    async contact(principal: Principal, id: string, at: Date | undefined): Promise<Lead> {
      const now = runtime.now();
      if (at && at.getTime() > now.getTime()) throw problem(SalesProblems.ruleViolation, 'a first contact cannot be in the future');
      return transition(principal, id, ['assigned', 'accepted'], async (trx, lead) => {
        if (at && at.getTime() < lead.created_at.getTime()) throw problem(SalesProblems.ruleViolation, 'the first contact cannot be before the lead was captured');
        await firstContact(trx, id, at ?? now);
        return withDetail(trx, (await leadRepository.find(trx, id))!);
      });
    },

    /** An admin places a lead by hand (working the fallback queue, or moving it on); the routing history says who did. */
    async assign(principal: Principal, id: string, input: AssignLead): Promise<Lead> {
      return transition(principal, id, ['queued', 'assigned', 'accepted'], async (trx, lead, at) => {
        const dealerId = input.dealerId ?? null;
        const ownerSubject = input.ownerSubject ?? null;
        if (dealerId === lead.dealer_id && ownerSubject === lead.owner_subject) throw problem(SalesProblems.invalidTransition, `lead ${id} is with that ${dealerId ? 'dealer' : 'rep'} already`);
        const slaDueAt = input.slaBusinessHours === null ? null : addBusinessHours(at, input.slaBusinessHours, deps.timeZone);
        const passed = lead.dealer_id && !lead.passed_dealer_ids.includes(lead.dealer_id) ? [...lead.passed_dealer_ids, lead.dealer_id] : lead.passed_dealer_ids;
        const decision: RoutingDecision = {
          rule: null,
          placement: dealerId ? { kind: 'dealer', dealerId } : { kind: 'rep', subject: ownerSubject!, teamId: '' },
          reason: `assigned by ${byOf(principal)} → ${dealerId ? `dealer ${dealerId}` : `rep ${ownerSubject}`}`,
        };
        const placement = placementOf(id, decision, slaDueAt, 'change', at);
        const row = await leadRepository.update(trx, id, { ...placement.columns, passed_dealer_ids: passed, accepted_at: null, updated_at: at });
        await leadRepository.appendRouting(trx, [placement.step]);
        await outbox.append(trx, SalesLeadEvents.routed, placement.event);
        return withDetail(trx, row);
      });
    },

    async disqualify(principal: Principal, id: string, reasonCode: string): Promise<Lead> {
      return transition(principal, id, OPEN_LEAD_STATUSES, async (trx, lead, at) => {
        const row = await leadRepository.update(trx, id, { status: 'disqualified', disqualify_reason: reasonCode, closed_at: at, updated_at: at });
        await outbox.append(trx, SalesLeadEvents.disqualified, { leadId: id, ...partyOf(lead), reasonCode, disqualifiedAt: at.toISOString() });
        return withDetail(trx, row);
      });
    },

    /**
     * Lead → customer (the one given, the one the lead is linked to, or a new one created through the
     * customers service once per lead) + opportunity, in one call. Nothing is written here unless all succeed.
     */
    async convert(principal: Principal, id: string, input: ConvertLead): Promise<{ leadId: string; customerId: string; opportunityId: string; contactId: string | null }> {
      const { opportunities } = deps;
      const lead = await visibleLead(db, principal, id);
      if (!OPEN_LEAD_STATUSES.includes(lead.status)) throw problem(SalesProblems.invalidTransition, `lead ${id} is ${lead.status}`);
      let customerId: string;
      if (input.customerId) {
        const survivor = await customerDirectory.finalSurvivorOf(db, input.customerId);
        const customer = await customerDirectory.find(db, survivor);
        if (!customer || (principal.kind === 'dealer' && customer.dealer_id !== principal.dealerId)) throw problem(Problems.notFound, `customer ${input.customerId} does not exist`);
        customerId = customer.id;
      } else if (lead.customer_id) {
        customerId = lead.customer_id;
      } else {
        if (input.contactRole) throw problem(SalesProblems.ruleViolation, "a contact role needs the organisation the lead's person buys for: give its customerId");
        const name = lead.name ?? `Lead ${lead.id}`;
        customerId = await deps.customers.create(
          principal,
          {
            kind: input.newCustomerKind,
            displayName: name,
            ...(input.newCustomerKind === 'organization' ? { organizationName: name } : {}),
            roles: ['prospect'],
            lifecycleStage: 'prospect',
            ...(lead.email ? { emails: [lead.email] } : {}),
            ...(lead.phone ? { phones: [lead.phone] } : {}),
            // A dealer's customers are its own anyway; staff hand the new customer to the lead's dealer.
            ...(lead.dealer_id && principal.kind !== 'dealer' ? { dealerId: lead.dealer_id } : {}),
          },
          // Derived from the lead: a retried conversion finds the customer the first attempt created.
          `lead-conversion:${lead.id}`,
        );
      }
      // The person joins the organisation as a contact (each step once per lead: a retry finds what the first made).
      let contactId: string | null = null;
      if (input.contactRole) {
        const organization = await customerDirectory.find(db, customerId);
        if (organization?.kind !== 'organization') throw problem(SalesProblems.ruleViolation, `customer ${customerId} is not an organisation: a contact role needs one`);
        const personId = await deps.customers.create(
          principal,
          { kind: 'person', displayName: lead.name ?? `Lead ${lead.id}`, roles: ['prospect'], lifecycleStage: 'prospect', ...(lead.email ? { emails: [lead.email] } : {}), ...(lead.phone ? { phones: [lead.phone] } : {}) },
          `lead-conversion-person:${lead.id}`,
        );
        contactId = await deps.customers.addContact(principal, customerId, { personId, buyingRole: input.contactRole }, `lead-conversion-contact:${lead.id}`);
      }
      return transition(principal, id, OPEN_LEAD_STATUSES, async (trx, current, at) => {
        const { opportunityId } = await opportunities.createFromLead(trx, {
          leadId: id,
          customerId,
          ownerSubject: current.owner_subject ?? (principal.kind === 'staff' ? principal.subject : null),
          dealerId: current.dealer_id,
          channel: current.channel,
          name: input.opportunity.name,
          productLine: current.product_line,
          amount: input.opportunity.amount ?? null,
          pipelineId: input.opportunity.pipelineId ?? null,
          at,
          by: byOf(principal),
        });
        await leadRepository.update(trx, id, { status: 'converted', customer_id: customerId, opportunity_id: opportunityId, closed_at: at, updated_at: at });
        await outbox.append(trx, SalesLeadEvents.converted, { leadId: id, customerId, opportunityId, ...partyOf(current), convertedAt: at.toISOString() });
        return { leadId: id, customerId, opportunityId, contactId };
      });
    },

    /**
     * One pass of the first-contact SLA check: leads past their due time without a first contact are
     * flagged (event), and moved on to the next dealer where their rule says so. Several instances may
     * run it at once: `for update skip locked` hands each lead to one of them.
     */
    async checkSlas(): Promise<{ breached: number; reassigned: number }> {
      let breached = 0;
      let reassigned = 0;
      for (;;) {
        const found = await deps.write(async (trx) => {
          const now = runtime.now();
          const due = await leadRepository.dueForBreach(trx, now, SLA_PASS);
          if (due.length === 0) return 0;
          const rules = new Map((await leadRepository.listAssignmentRules(trx)).map((rule) => [rule.id, rule]));
          const router = await openRouter(trx, now);
          for (const lead of due) {
            const rule = lead.assignment_rule_id ? rules.get(lead.assignment_rule_id) : undefined;
            const reassign = rule?.reassign_on_breach === true && lead.dealer_id !== null;
            await leadRepository.markPlacement(trx, lead.id, 'breached_at', now);
            await outbox.append(trx, SalesLeadEvents.slaBreached, { leadId: lead.id, ruleId: lead.assignment_rule_id, ...partyOf(lead), dueAt: lead.sla_due_at!.toISOString(), detectedAt: now.toISOString(), reassigned: reassign });
            if (reassign) {
              await reroute(trx, lead, router, 'sla-breach', now);
              reassigned += 1;
            } else {
              await leadRepository.update(trx, lead.id, { sla_breached_at: now, updated_at: now });
            }
          }
          await router.flush();
          return due.length;
        });
        breached += found;
        if (found < SLA_PASS) return { breached, reassigned };
      }
    },

    /** Hot leads placed with dealers, per dealer, oldest first, with their age: the VW daily list. */
    async hotLeads(principal: Principal, query: { dealerId?: string; date?: string; limit: number }) {
      const now = runtime.now();
      const date = query.date ?? calendarDate(now, deps.timeZone);
      // Everything captured up to the end of that day (in the service's zone) and still being worked.
      const endOfDay = startOfLocalDay(date, 1, deps.timeZone);
      const rows = await leadRepository.hotLeads(db, await scopeOf(principal), { dealerId: query.dealerId, createdBefore: endOfDay, limit: query.limit });
      const dealers = new Map<string | null, Lead[]>();
      for (const row of rows) dealers.set(row.dealer_id, [...(dealers.get(row.dealer_id) ?? []), leadOf(row, now)]);
      return {
        date,
        dealers: [...dealers.entries()].map(([dealerId, leads]) => ({
          dealerId,
          leads: leads.map((l) => ({ id: l.id, status: l.status, name: l.name, phone: l.phone, modelOfInterest: l.modelOfInterest, city: l.city, createdAt: l.createdAt, ageHours: l.ageHours, slaDueAt: l.slaDueAt, overdue: l.firstContactAt === null && l.slaDueAt !== null && new Date(l.slaDueAt) < now })),
        })),
      };
    },

    /** Per dealer: placements in the period, how many it accepted, rejected, contacted, how fast, SLA breaches. */
    async responseReport(principal: Principal, query: { from: string; to: string }) {
      const scope: SalesScope = await scopeOf(principal);
      const rows = await leadRepository.responseByDealer(db, scope, new Date(query.from), new Date(query.to));
      const hours = (value: string | null) => (value === null ? null : Math.round(Number(value) * 100) / 100);
      return {
        from: new Date(query.from).toISOString(),
        to: new Date(query.to).toISOString(),
        rows: rows.map((row) => ({
          dealerId: row.dealer_id,
          assigned: Number(row.assigned),
          accepted: Number(row.accepted),
          rejected: Number(row.rejected),
          acceptanceRate: Number(row.assigned) === 0 ? null : Math.round((Number(row.accepted) / Number(row.assigned)) * 1000) / 1000,
          contacted: Number(row.contacted),
          medianHoursToFirstContact: hours(row.median_hours),
          avgHoursToFirstContact: hours(row.avg_hours),
          slaBreaches: Number(row.breaches),
        })),
      };
    },

    /** For activities: the first logged contact with the lead stops its SLA clock (the first one wins). */
    async recordFirstContact(trx: SalesDb, leadId: string, at: Date): Promise<void> {
      await firstContact(trx, leadId, at);
    },

    /** For activities: who the lead belongs to, or null when the principal may not see it. */
    async visibleParty(trx: SalesDb, principal: Principal, leadId: string): Promise<{ customerId: string | null; dealerId: string | null; ownerSubject: string | null } | null> {
      const row = await leadRepository.find(trx, leadId);
      if (!row || !inScope(await scopeOf(principal, trx), row)) return null;
      return { customerId: row.customer_id, dealerId: row.dealer_id, ownerSubject: row.owner_subject };
    },

    /** Merge: the duplicate's leads are the survivor's. Erasure: the leads about the person go, with their history. Export: the leads. */
    lifecycle: {
      merged: (trx, mergedId, survivorId) => leadRepository.moveCustomer(trx, mergedId, survivorId),
      erased: async (trx, ids, contactDigests) => {
        const leadIds = await leadRepository.deleteOfCustomers(trx, ids, contactDigests);
        // Stored capture answers and dead letters name the lead, not the person: they go with it.
        await erasePlatformRecords(trx, leadIds);
      },
      exported: async (executor, ids) => {
        const now = runtime.now();
        return { leads: (await leadRepository.ofCustomers(executor, ids)).map((row) => ({ ...leadOf(row, now) })) };
      },
    } satisfies CustomerLifecycle,
  });
}
export type LeadService = ReturnType<typeof createLeadService>;
