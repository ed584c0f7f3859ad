import { calendarDate, Money$, roundToCurrency, SalesOpportunityEvents, type Principal } from '@crm/domain';
import { customerDirectory, decodeCursor, encodeCursor, idempotencyScope, onceForKey, problem, Problems, requestHash, requireIfMatch, type Outbox, type Runtime } from '@crm/platform';
import { z } from 'zod';
import type { CustomerLifecycle } from '../customer-directory/customer-lifecycle';
import type { SalesDb } from '../db/tables';
import type { ExchangeRates } from '../exchange-rates/exchange-rates';
import { inScope, salesScopeOf, type SalesScope } from '../ownership/ownership';
import type { Pipeline } from '../pipelines/pipeline.schemas';
import type { PipelineService } from '../pipelines/pipeline.service';
import type { SalesChannel } from '../pipelines/pipeline.tables';
import { SalesProblems } from '../sales.problems';
import { teamRepository } from '../teams/team.repository';
import { opportunityRepository, type ContactRow, type OpportunityWithRate, type StageChangeRow } from './opportunity.repository';
import type { CloseOpportunity, NewOpportunity, Opportunity, OpportunityChanges, OpportunityListQuery } from './opportunity.schemas';
import { channelOfLead, defaultCloseDate } from './opportunity.rules';

/** What the leads engineer's conversion hands over (see createFromLead). */
export interface LeadForOpportunity {
  leadId: string;
  customerId: string;
  ownerSubject: string | null;
  dealerId: string | null;
  channel: string;
  name: string;
  productLine: string | null;
  amount: { amount: string; currency: string } | null;
  pipelineId: string | null;
  at: Date;
  by: string;
}

const Cursor = z.object({ at: z.iso.datetime(), id: z.uuid() });
/** Account users are granted no opportunities, not even their organisation's. */
const sees = (scope: SalesScope, row: OpportunityWithRate) => scope.kind !== 'account' && inScope(scope, row);
const actorOf = (principal: Principal) => `${principal.kind}:${principal.subject}`;

/** Opportunities through their pipeline's stages to won or lost, owned by a rep or a dealer. */
export function createOpportunityService(deps: {
  db: SalesDb;
  runtime: Runtime;
  outbox: Outbox;
  write: <T>(work: (trx: SalesDb) => Promise<T>) => Promise<T>;
  pipelines: PipelineService;
  exchangeRates: ExchangeRates;
  timeZone: string;
}) {
  const { db, runtime, outbox, pipelines, exchangeRates, timeZone } = deps;
  const base = exchangeRates.baseCurrency;
  const scopeOf = (principal: Principal) => salesScopeOf(principal, (subject) => teamRepository.visibleSubjects(db, subject));

  const inBase = (row: OpportunityWithRate): { money: { amount: string; currency: string } | null; missing: string | null } => {
    if (row.amount === null || row.currency === null) return { money: null, missing: 'no amount' };
    if (row.currency === base) return { money: { amount: roundToCurrency(row.amount, base), currency: base }, missing: null };
    if (row.fx_rate === null) return { money: null, missing: `no exchange rate from ${row.currency} to ${base} is known` };
    return { money: { amount: roundToCurrency(new Money$(row.amount).times(row.fx_rate), base), currency: base }, missing: null };
  };

  const opportunityOf = (row: OpportunityWithRate, history: StageChangeRow[], contacts: ContactRow[]): Opportunity => {
    const converted = inBase(row);
    return {
      id: row.id,
      customerId: row.customer_id,
      name: row.name,
      pipelineId: row.pipeline_id,
      stage: row.stage_key,
      status: row.status,
      probability: row.probability,
      forecastCategory: row.forecast_category,
      amount: row.amount !== null && row.currency !== null ? { amount: row.amount, currency: row.currency } : null,
      amountInBase: converted.money,
      amountInBaseMissing: converted.missing,
      expectedCloseDate: row.close_date,
      ownerSubject: row.owner_subject,
      dealerId: row.dealer_id,
      productLine: row.product_line,
      contacts: contacts.filter((c) => c.opportunity_id === row.id).map((c) => ({ contactId: c.contact_id, role: c.role })),
      leadId: row.lead_id,
      closeReason: row.close_reason,
      competitor: row.competitor,
      closedAt: row.closed_at?.toISOString() ?? null,
      stageHistory: history.filter((h) => h.opportunity_id === row.id).map((h) => ({ from: h.from_stage, to: h.to_stage, by: h.changed_by, at: h.changed_at.toISOString() })),
      version: row.version,
      createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
    };
  };

  const load = async (executor: SalesDb, rows: OpportunityWithRate[]) => {
    const ids = rows.map((row) => row.id);
    const [history, contacts] = [await opportunityRepository.historyOf(executor, ids), await opportunityRepository.contactsOf(executor, ids)];
    return rows.map((row) => opportunityOf(row, history, contacts));
  };
  const reload = async (executor: SalesDb, id: string) => (await load(executor, [(await opportunityRepository.find(executor, id, base))!]))[0]!;

  /** The opportunity if the principal may see it; otherwise the same 404 as for one that does not exist. */
  const visibleRow = async (executor: SalesDb, principal: Principal, id: string, forUpdate = false) => {
    const row = await opportunityRepository.find(executor, id, base, { forUpdate });
    if (!row || !sees(await scopeOf(principal), row)) throw problem(Problems.notFound, `opportunity ${id} does not exist`);
    return row;
  };
  const openRow = async (trx: SalesDb, principal: Principal, id: string) => {
    const row = await visibleRow(trx, principal, id, true);
    if (row.status !== 'open') throw problem(SalesProblems.invalidTransition, `opportunity ${id} is ${row.status}: it cannot change any more`);
    return row;
  };

  /** A rep gives opportunities only to itself or its team (else it would lose sight of them). */
  const checkOwner = (scope: SalesScope, ownerSubject: string | null) => {
    if (scope.kind === 'owners' && (ownerSubject === null || !scope.subjects.includes(ownerSubject))) {
      throw problem(SalesProblems.ruleViolation, 'ownerSubject: a rep gives opportunities only to itself or its team');
    }
  };

  /** Inserts the opportunity in its first (or given) stage with its first history entry, and announces it. */
  const insert = async (trx: SalesDb, input: {
    customerId: string; name: string; pipeline: Pipeline; stage: string | undefined; amount: { amount: string; currency: string } | null; closeDate: string;
    ownerSubject: string | null; dealerId: string | null; productLine: string | null; leadId: string | null; contacts: NewOpportunity['contacts']; at: Date; by: string;
  }) => {
    const openStages = input.pipeline.stages.filter((s) => s.kind === 'open');
    const stage = input.stage === undefined ? openStages[0] : openStages.find((s) => s.key === input.stage);
    if (!stage) throw problem(SalesProblems.ruleViolation, `stage: pipeline ${input.pipeline.name} has no open stage ${input.stage ?? ''}`.trim());
    const id = runtime.newId();
    await opportunityRepository.insert(trx, {
      id,
      customer_id: input.customerId,
      name: input.name,
      pipeline_id: input.pipeline.id,
      stage_key: stage.key,
      status: 'open',
      probability: stage.probability,
      forecast_category: stage.forecastCategory,
      amount: input.amount?.amount ?? null,
      currency: input.amount?.currency ?? null,
      close_date: input.closeDate,
      owner_subject: input.ownerSubject,
      dealer_id: input.dealerId,
      product_line: input.productLine,
      lead_id: input.leadId,
      close_reason: null,
      competitor: null,
      closed_at: null,
      created_at: input.at,
      created_by: input.by,
      updated_at: input.at,
    });
    await opportunityRepository.addStageChange(trx, { id: runtime.newId(), opportunity_id: id, from_stage: null, to_stage: stage.key, changed_by: input.by, changed_at: input.at });
    await opportunityRepository.replaceContacts(trx, id, input.contacts);
    await outbox.append(trx, SalesOpportunityEvents.opportunityCreated, {
      opportunityId: id,
      customerId: input.customerId,
      pipelineId: input.pipeline.id,
      stage: stage.key,
      ownerSubject: input.ownerSubject,
      dealerId: input.dealerId,
      productLine: input.productLine,
      amount: input.amount,
      leadId: input.leadId,
      createdAt: input.at.toISOString(),
    });
    return id;
  };

  const close = async (principal: Principal, id: string, outcome: 'won' | 'lost', details: CloseOpportunity): Promise<Opportunity> =>
    deps.write(async (trx) => {
      const current = await openRow(trx, principal, id);
      const at = runtime.now();
      const by = actorOf(principal);
      await opportunityRepository.update(trx, id, {
        status: outcome,
        stage_key: outcome,
        probability: outcome === 'won' ? 100 : 0,
        forecast_category: outcome === 'won' ? 'closed' : 'omitted',
        close_date: calendarDate(at, timeZone),
        close_reason: details.reason ?? null,
        competitor: details.competitor ?? null,
        closed_at: at,
        updated_at: at,
      });
      await opportunityRepository.addStageChange(trx, { id: runtime.newId(), opportunity_id: id, from_stage: current.stage_key, to_stage: outcome, changed_by: by, changed_at: at });
      const common = { opportunityId: id, customerId: current.customer_id, ownerSubject: current.owner_subject, dealerId: current.dealer_id, competitor: details.competitor ?? null };
      if (outcome === 'won') {
        await outbox.append(trx, SalesOpportunityEvents.opportunityWon, {
          ...common,
          productLine: current.product_line,
          amount: current.amount !== null && current.currency !== null ? { amount: current.amount, currency: current.currency } : null,
          amountInBase: inBase(current).money,
          wonAt: at.toISOString(),
        });
      } else {
        await outbox.append(trx, SalesOpportunityEvents.opportunityLost, { ...common, fromStage: current.stage_key, lostAt: at.toISOString() });
      }
      return reload(trx, id);
    });

  return Object.freeze({
    async create(principal: Principal, input: NewOpportunity, idempotencyKey: string | undefined): Promise<Opportunity> {
      const stored = await deps.write((trx) =>
        onceForKey(trx, { scope: idempotencyScope('opportunities.create', principal), key: idempotencyKey, hash: requestHash(input) }, async () => {
          if (principal.kind !== 'staff' && (input.ownerSubject !== undefined || (input.dealerId != null && !(principal.kind === 'dealer' && input.dealerId === principal.dealerId)))) {
            throw problem(Problems.unprocessable, 'only staff choose the owning rep and dealer; a dealer owns what it creates');
          }
          const customerId = await customerDirectory.finalSurvivorOf(trx, input.customerId);
          const customer = await customerDirectory.find(trx, customerId);
          if (!customer || (principal.kind === 'dealer' && customer.dealer_id !== principal.dealerId)) throw problem(Problems.notFound, `customer ${input.customerId} does not exist`);
          const ownerSubject = principal.kind === 'staff' ? (input.ownerSubject ?? principal.subject) : null;
          checkOwner(await scopeOf(principal), ownerSubject);
          const channel: SalesChannel = input.channel ?? (principal.kind === 'dealer' ? 'dealer' : 'direct');
          const pipeline = input.pipelineId ? await pipelines.find(trx, input.pipelineId) : await pipelines.defaultOf(trx, channel);
          if (!pipeline) throw problem(SalesProblems.ruleViolation, input.pipelineId ? `pipelineId: no pipeline ${input.pipelineId}` : `no pipeline serves the ${channel} channel yet`);
          const id = await insert(trx, {
            customerId,
            name: input.name,
            pipeline,
            stage: input.stage,
            amount: input.amount,
            closeDate: input.expectedCloseDate,
            ownerSubject,
            dealerId: principal.kind === 'dealer' ? principal.dealerId : (input.dealerId ?? null),
            productLine: input.productLine,
            leadId: input.leadId,
            contacts: input.contacts,
            at: runtime.now(),
            by: actorOf(principal),
          });
          return { statusCode: 201, body: await reload(trx, id) };
        }),
      );
      return stored.body as Opportunity;
    },

    async get(principal: Principal, id: string): Promise<Opportunity> {
      return (await load(db, [await visibleRow(db, principal, id)]))[0]!;
    },

    async list(principal: Principal, query: OpportunityListQuery) {
      const before = decodeCursor(query.cursor, Cursor);
      const rows = await opportunityRepository.list(db, await scopeOf(principal), base, {
        ...query,
        before: before ? { at: new Date(before.at), id: before.id } : undefined,
        limit: query.limit + 1,
      });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return { items: await load(db, page), nextCursor: rows.length > query.limit && last ? encodeCursor({ at: last.created_at.toISOString(), id: last.id }) : null };
    },

    async update(principal: Principal, id: string, changes: OpportunityChanges, ifMatch: string | undefined): Promise<Opportunity> {
      return deps.write(async (trx) => {
        const current = await openRow(trx, principal, id);
        requireIfMatch(ifMatch, current.version);
        if (principal.kind !== 'staff' && (changes.ownerSubject !== undefined || changes.dealerId !== undefined)) {
          throw problem(Problems.unprocessable, 'only staff change the owning rep and dealer');
        }
        if (changes.ownerSubject !== undefined) checkOwner(await scopeOf(principal), changes.ownerSubject);
        await opportunityRepository.update(trx, id, {
          ...(changes.name !== undefined ? { name: changes.name } : {}),
          ...(changes.amount !== undefined ? { amount: changes.amount?.amount ?? null, currency: changes.amount?.currency ?? null } : {}),
          ...(changes.expectedCloseDate !== undefined ? { close_date: changes.expectedCloseDate } : {}),
          ...(changes.ownerSubject !== undefined ? { owner_subject: changes.ownerSubject } : {}),
          ...(changes.dealerId !== undefined ? { dealer_id: changes.dealerId } : {}),
          ...(changes.productLine !== undefined ? { product_line: changes.productLine } : {}),
          updated_at: runtime.now(),
        });
        if (changes.contacts) await opportunityRepository.replaceContacts(trx, id, changes.contacts);
        const changed = await reload(trx, id);
        await outbox.append(trx, SalesOpportunityEvents.opportunityChanged, {
          opportunityId: id,
          customerId: changed.customerId,
          changed: Object.keys(changes).filter((field) => changes[field as keyof OpportunityChanges] !== undefined),
          ownerSubject: changed.ownerSubject,
          dealerId: changed.dealerId,
          productLine: changed.productLine,
          amount: changed.amount,
          expectedCloseDate: changed.expectedCloseDate,
          version: changed.version,
          changedAt: changed.updatedAt,
        });
        return changed;
      });
    },

    /** To another open stage of the same pipeline, forward or back; won and lost have their own routes. */
    async moveStage(principal: Principal, id: string, to: string): Promise<Opportunity> {
      return deps.write(async (trx) => {
        const current = await openRow(trx, principal, id);
        const pipeline = (await pipelines.find(trx, current.pipeline_id))!;
        const stage = pipeline.stages.find((s) => s.key === to);
        if (!stage) throw problem(SalesProblems.ruleViolation, `stage: pipeline ${pipeline.name} has no stage ${to} (its stages: ${pipeline.stages.map((s) => s.key).join(', ')})`);
        if (stage.kind !== 'open') throw problem(SalesProblems.ruleViolation, `stage: close an opportunity through POST /v1/opportunities/${id}/${stage.kind}`);
        if (stage.key === current.stage_key) throw problem(SalesProblems.invalidTransition, `opportunity ${id} is in stage ${to} already`);
        const at = runtime.now();
        const by = actorOf(principal);
        await opportunityRepository.update(trx, id, { stage_key: stage.key, probability: stage.probability, forecast_category: stage.forecastCategory, updated_at: at });
        await opportunityRepository.addStageChange(trx, { id: runtime.newId(), opportunity_id: id, from_stage: current.stage_key, to_stage: stage.key, changed_by: by, changed_at: at });
        await outbox.append(trx, SalesOpportunityEvents.opportunityStageChanged, {
          opportunityId: id,
          customerId: current.customer_id,
          from: current.stage_key,
          to: stage.key,
          probability: stage.probability,
          forecastCategory: stage.forecastCategory,
          changedBy: by,
          changedAt: at.toISOString(),
        });
        return reload(trx, id);
      });
    },

    win: (principal: Principal, id: string, details: CloseOpportunity) => close(principal, id, 'won', details),
    lose: (principal: Principal, id: string, details: CloseOpportunity) => close(principal, id, 'lost', details),

    /**
     * A converted lead's opportunity, in the caller's transaction: the given pipeline or the default of the
     * lead's channel, its first stage. Idempotent per lead: a second call answers the first opportunity.
     */
    async createFromLead(trx: SalesDb, lead: LeadForOpportunity): Promise<{ opportunityId: string }> {
      const existing = await opportunityRepository.findByLead(trx, lead.leadId);
      if (existing) return { opportunityId: existing.id };
      const channel = channelOfLead(lead.channel, lead.dealerId);
      const pipeline = lead.pipelineId ? await pipelines.find(trx, lead.pipelineId) : await pipelines.defaultOf(trx, channel);
      if (!pipeline) throw problem(SalesProblems.ruleViolation, lead.pipelineId ? `pipelineId: no pipeline ${lead.pipelineId}` : `no pipeline serves the ${channel} channel yet`);
      const opportunityId = await insert(trx, {
        customerId: await customerDirectory.finalSurvivorOf(trx, lead.customerId),
        name: lead.name,
        pipeline,
        stage: undefined,
        amount: lead.amount,
        closeDate: defaultCloseDate(lead.at, timeZone),
        ownerSubject: lead.ownerSubject,
        dealerId: lead.dealerId,
        productLine: lead.productLine,
        leadId: lead.leadId,
        contacts: [],
        at: lead.at,
        by: lead.by,
      });
      return { opportunityId };
    },

    /** Who may see the opportunity (for activities on it): null when it does not exist or is outside the principal's scope. */
    async visibleParty(trx: SalesDb, principal: Principal, opportunityId: string): Promise<{ customerId: string | null; dealerId: string | null; ownerSubject: string | null } | null> {
      const row = await opportunityRepository.find(trx, opportunityId, base);
      if (!row || !sees(await salesScopeOf(principal, (subject) => teamRepository.visibleSubjects(trx, subject)), row)) return null;
      return { customerId: row.customer_id, dealerId: row.dealer_id, ownerSubject: row.owner_subject };
    },

    /**
     * Merge: the duplicate's opportunities are the survivor's. Erasure: the person's opportunities go with
     * their stage history and buying-role contacts; forecast snapshots keep only anonymous sums (owner,
     * dealer, product line cells, no customer), so past figures stay, anonymised. Export: the opportunities.
     */
    lifecycle: {
      merged: (trx, mergedId, survivorId) => opportunityRepository.moveCustomer(trx, mergedId, survivorId),
      erased: (trx, ids) => opportunityRepository.deleteOfCustomers(trx, ids),
      exported: async (executor, ids) => {
        const opportunities = await load(executor, await opportunityRepository.ofCustomers(executor, ids, base));
        return { opportunities: opportunities.map((opportunity) => ({ ...opportunity })) };
      },
    } satisfies CustomerLifecycle,
  });
}
export type OpportunityService = ReturnType<typeof createOpportunityService>;
