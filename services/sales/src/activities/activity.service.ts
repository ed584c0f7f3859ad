import { SalesActivityEvents, SalesPipelineEvents, type Principal } from '@crm/domain';
import { customerDirectory, decodeCursor, encodeCursor, idempotencyScope, onceForKey, problem, Problems, requestHash, requireIfMatch, type Outbox, type Runtime } from '@crm/platform';
import { z } from 'zod';
import { calendarRepository } from '../calendars/calendar.repository';
import type { CustomerLifecycle } from '../customer-directory/customer-lifecycle';
import type { SalesDb } from '../db/tables';
import { inScope, salesScopeOf, type SalesScope } from '../ownership/ownership';
import { SalesProblems } from '../sales.problems';
import { teamRepository } from '../teams/team.repository';
import { CONTACT_KINDS, type ActivityTargets, type VisibleParty } from './activity-targets';
import { activityRepository, type ActivityRow } from './activity.repository';
import type { Activity, ActivityChanges, ActivityCounts, ActivityCountsQuery, ActivityListQuery, CompleteActivity, NewActivity } from './activity.schemas';
import { occurrencesBetween, parseRecurrence } from './recurrence';

/** The rule as stored: normalised by the library (the schema has refused an invalid one already). */
const normalisedRule = (text: string): string => {
  const parsed = parseRecurrence(text);
  if ('error' in parsed) throw problem(Problems.validation, `rrule: ${parsed.error}`);
  return parsed.rule;
};

export const activityOf = (row: ActivityRow, occursAt?: Date): Activity => ({
  id: row.id,
  kind: row.kind,
  target: { kind: row.target_kind, id: row.target_id },
  customerId: row.customer_id,
  dealerId: row.dealer_id,
  ownerSubject: row.owner_subject,
  subject: row.subject,
  notes: row.notes,
  dueAt: row.due_at?.toISOString() ?? null,
  durationMinutes: row.duration_minutes,
  rrule: row.rrule,
  status: row.status,
  completedAt: row.completed_at?.toISOString() ?? null,
  outcome: row.outcome,
  ...(occursAt ? { occursAt: occursAt.toISOString() } : {}),
  createdAt: row.created_at.toISOString(),
  createdBy: row.created_by,
  version: row.version,
});

const Cursor = z.object({ at: z.iso.datetime(), id: z.uuid() });
/** A window listing answers at most this many occurrences (ask for a narrower window for more). */
const MAX_WINDOW_ITEMS = 2000;

/**
 * Calls, meetings, test drives, visits, tasks and e-mails on a lead, an opportunity or a customer. A
 * completed one on a customer lands on its timeline (activityLogged); on a lead it is the first contact.
 */
export function createActivityService(deps: {
  db: SalesDb;
  runtime: Runtime;
  outbox: Outbox;
  write: <T>(work: (trx: SalesDb) => Promise<T>) => Promise<T>;
  timeZone: string;
  targets?: ActivityTargets;
}) {
  const { db, runtime, outbox } = deps;
  const targets = deps.targets ?? {};
  const scopeOf = (principal: Principal) => salesScopeOf(principal, (subject) => teamRepository.visibleSubjects(db, subject));
  const visibleActivity = async (executor: SalesDb, principal: Principal, id: string, forUpdate = false) => {
    const row = await activityRepository.find(executor, id, { forUpdate });
    if (!row || !inScope(await scopeOf(principal), row)) throw problem(Problems.notFound, `activity ${id} does not exist`);
    return row;
  };

  /** Whom the target belongs to, as the principal may see it: 404 outside its scope, 422 while the target kind is not wired. */
  const partyOf = async (trx: SalesDb, principal: Principal, target: NewActivity['target']): Promise<VisibleParty> => {
    const notFound = () => problem(Problems.notFound, `${target.kind} ${target.id} does not exist`);
    if (target.kind === 'customer') {
      const customer = await customerDirectory.find(trx, await customerDirectory.finalSurvivorOf(trx, target.id));
      if (!customer) throw notFound();
      if (principal.kind === 'dealer' && customer.dealer_id !== principal.dealerId) throw notFound();
      return { customerId: customer.id, dealerId: customer.dealer_id, ownerSubject: null };
    }
    const port = target.kind === 'lead' ? targets.leads : targets.opportunities;
    if (!port) throw problem(SalesProblems.ruleViolation, `activities on ${target.kind}s are not available in this deployment yet`);
    const party = await port.visibleParty(trx, principal, target.id);
    if (!party) throw notFound();
    return party;
  };

  /** Who owns a new activity: a dealer itself; staff the named rep (a rep only itself or a teammate) or itself. */
  const ownerOf = (principal: Principal, scope: SalesScope, input: NewActivity) => {
    if (principal.kind === 'dealer') {
      if (input.ownerSubject !== undefined) throw problem(Problems.unprocessable, 'only staff name the owning rep; a dealer owns its own activities');
      return { ownerSubject: null, dealerId: principal.dealerId };
    }
    const ownerSubject = input.ownerSubject ?? principal.subject;
    if (scope.kind === 'owners' && !scope.subjects.includes(ownerSubject)) throw problem(Problems.unprocessable, `ownerSubject ${ownerSubject} is neither you nor a teammate`);
    return { ownerSubject, dealerId: null };
  };

  return Object.freeze({
    async create(principal: Principal, input: NewActivity, idempotencyKey: string | undefined): Promise<Activity> {
      const stored = await deps.write((trx) =>
        onceForKey(trx, { scope: idempotencyScope('activities.create', principal), key: idempotencyKey, hash: requestHash(input) }, async () => {
          const party = await partyOf(trx, principal, input.target);
          const owner = ownerOf(principal, await scopeOf(principal), input);
          const at = runtime.now();
          const row = await activityRepository.insert(trx, {
            id: runtime.newId(),
            kind: input.kind,
            target_kind: input.target.kind,
            target_id: input.target.kind === 'customer' && party.customerId ? party.customerId : input.target.id,
            customer_id: party.customerId,
            // The target's dealer sees what is done on its customers and leads.
            dealer_id: owner.dealerId ?? party.dealerId,
            owner_subject: owner.ownerSubject,
            subject: input.subject,
            notes: input.notes ?? null,
            due_at: input.dueAt ? new Date(input.dueAt) : null,
            duration_minutes: input.durationMinutes ?? null,
            rrule: input.rrule ? normalisedRule(input.rrule) : null,
            status: 'open',
            completed_at: null,
            outcome: null,
            created_at: at,
            created_by: `${principal.kind}:${principal.subject}`,
            updated_at: at,
          });
          await outbox.append(trx, SalesActivityEvents.activityScheduled, {
            activityId: row.id,
            kind: row.kind,
            target: { kind: row.target_kind, id: row.target_id },
            customerId: row.customer_id,
            dueAt: row.due_at?.toISOString() ?? null,
            recurring: row.rrule !== null,
            ownerSubject: row.owner_subject,
            dealerId: row.dealer_id,
          });
          return { statusCode: 201, body: activityOf(row) };
        }),
      );
      return stored.body as Activity;
    },

    async get(principal: Principal, id: string): Promise<Activity> {
      return activityOf(await visibleActivity(db, principal, id));
    },

    async list(principal: Principal, query: ActivityListQuery): Promise<{ items: Activity[]; nextCursor: string | null }> {
      const scope = await scopeOf(principal);
      const filter = { targetKind: query.targetKind, targetId: query.targetId, customerId: query.customerId, ownerSubject: query.ownerSubject, kind: query.kind, status: query.status };
      if (query.from !== undefined && query.to !== undefined) {
        const from = new Date(query.from);
        const to = new Date(query.to);
        const rows = await activityRepository.dueWithin(db, scope, filter, from, to);
        const occurrences = rows.flatMap((row) => (row.rrule ? occurrencesBetween(row.rrule, row.due_at!, from, to) : [row.due_at!]).map((at) => ({ row, at })));
        occurrences.sort((a, b) => a.at.getTime() - b.at.getTime() || a.row.id.localeCompare(b.row.id));
        return { items: occurrences.slice(0, MAX_WINDOW_ITEMS).map(({ row, at }) => activityOf(row, at)), nextCursor: null };
      }
      const before = decodeCursor(query.cursor, Cursor);
      const rows = await activityRepository.list(db, scope, { ...filter, before: before ? { at: new Date(before.at), id: before.id } : undefined, limit: query.limit + 1 });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return { items: page.map((row) => activityOf(row)), nextCursor: rows.length > query.limit && last ? encodeCursor({ at: last.created_at.toISOString(), id: last.id }) : null };
    },

    async update(principal: Principal, id: string, changes: ActivityChanges, ifMatch: string | undefined): Promise<Activity> {
      return deps.write(async (trx) => {
        const current = await visibleActivity(trx, principal, id, true);
        requireIfMatch(ifMatch, current.version);
        if (current.status !== 'open') throw problem(SalesProblems.invalidTransition, `activity ${id} is completed: it is on the record as it was`);
        const dueAt = changes.dueAt === undefined ? current.due_at : changes.dueAt === null ? null : new Date(changes.dueAt);
        const rrule = changes.rrule === undefined ? current.rrule : changes.rrule === null ? null : normalisedRule(changes.rrule);
        if (rrule !== null && current.kind !== 'task') throw problem(Problems.unprocessable, 'only a task recurs');
        if (rrule !== null && dueAt === null) throw problem(Problems.unprocessable, 'a recurring task needs dueAt, its first occurrence');
        const row = await activityRepository.update(trx, id, {
          ...(changes.subject !== undefined ? { subject: changes.subject } : {}),
          ...(changes.notes !== undefined ? { notes: changes.notes } : {}),
          ...(changes.durationMinutes !== undefined ? { duration_minutes: changes.durationMinutes } : {}),
          due_at: dueAt,
          rrule,
          updated_at: runtime.now(),
        });
        const rescheduled = row.due_at?.getTime() !== current.due_at?.getTime() || row.rrule !== current.rrule || row.duration_minutes !== current.duration_minutes;
        if (rescheduled) {
          await outbox.append(trx, SalesActivityEvents.activityRescheduled, { activityId: id, dueAt: row.due_at?.toISOString() ?? null, recurring: row.rrule !== null, ownerSubject: row.owner_subject, dealerId: row.dealer_id });
        }
        return activityOf(row);
      });
    },

    async remove(principal: Principal, id: string): Promise<void> {
      await deps.write(async (trx) => {
        const current = await visibleActivity(trx, principal, id, true);
        if (current.status !== 'open') throw problem(SalesProblems.invalidTransition, `activity ${id} is completed: it stays on the record`);
        const at = runtime.now().toISOString();
        // Its bookings go with it (on delete cascade): their calendars learn the slots are free.
        for (const booking of await calendarRepository.liveOfActivity(trx, id)) {
          await outbox.append(trx, SalesActivityEvents.bookingCancelled, { bookingId: booking.id, ownerKey: booking.owner_key, resourceId: booking.resource_id, cancelledAt: at });
        }
        await activityRepository.remove(trx, id);
        await outbox.append(trx, SalesActivityEvents.activityDeleted, { activityId: id, deletedAt: at });
      });
    },

    async complete(principal: Principal, id: string, input: CompleteActivity): Promise<Activity> {
      return deps.write(async (trx) => {
        const current = await visibleActivity(trx, principal, id, true);
        if (current.status !== 'open') throw problem(SalesProblems.invalidTransition, `activity ${id} is completed already`);
        const now = runtime.now();
        const completedAt = input.completedAt ? new Date(input.completedAt) : now;
        if (completedAt > now) throw problem(SalesProblems.ruleViolation, 'completedAt is in the future: complete an activity once it has happened');
        // A lead converted (or an opportunity linked) since the activity was scheduled has a customer now: its timeline gets it.
        let customerId = current.customer_id;
        if (customerId === null && current.target_kind !== 'customer') {
          const port = current.target_kind === 'lead' ? targets.leads : targets.opportunities;
          customerId = (await port?.visibleParty(trx, principal, current.target_id))?.customerId ?? null;
        }
        const row = await activityRepository.update(trx, id, {
          customer_id: customerId,
          status: 'completed',
          completed_at: completedAt,
          outcome: input.outcome,
          ...(input.notes !== undefined ? { notes: input.notes } : {}),
          updated_at: now,
        });
        const occurredAt = completedAt.toISOString();
        await outbox.append(trx, SalesActivityEvents.activityCompleted, {
          activityId: id,
          kind: row.kind,
          target: { kind: row.target_kind, id: row.target_id },
          customerId: row.customer_id,
          completedAt: occurredAt,
          outcome: input.outcome,
          ownerSubject: row.owner_subject,
          dealerId: row.dealer_id,
        });
        if (row.customer_id) {
          await outbox.append(trx, SalesPipelineEvents.activityLogged, {
            activityId: id,
            customerId: row.customer_id,
            kind: row.kind,
            subject: `${row.target_kind}:${row.target_id}`,
            occurredAt,
            outcome: input.outcome,
            ownerSubject: row.owner_subject,
            dealerId: row.dealer_id,
          });
        }
        if (row.target_kind === 'lead' && CONTACT_KINDS.has(row.kind) && input.outcome !== 'cancelled') {
          await targets.leads?.recordFirstContact(trx, row.target_id, completedAt);
        }
        return activityOf(row);
      });
    },

    /** Completed activities per month × rep (or dealer) × kind, within the caller's scope. */
    async counts(principal: Principal, query: ActivityCountsQuery): Promise<ActivityCounts> {
      const rows = await activityRepository.countsByPeriod(db, await scopeOf(principal), { fromMonth: query.from, toMonth: query.to, timeZone: deps.timeZone, groupBy: query.groupBy, kind: query.kind });
      return { groupBy: query.groupBy, timeZone: deps.timeZone, items: rows.map((row) => ({ period: row.period, owner: row.owner, kind: row.kind, count: Number(row.count) })) };
    },

    /** Merge: the duplicate's activities are the survivor's. Erasure: they go (bookings with them). Export: the activities. */
    lifecycle: {
      merged: (trx, mergedId, survivorId) => activityRepository.moveCustomer(trx, mergedId, survivorId),
      erased: (trx, ids) => activityRepository.removeOfCustomers(trx, ids),
      exported: async (executor, ids) => ({ activities: (await activityRepository.ofCustomers(executor, ids)).map((row) => ({ ...activityOf(row) })) }),
    } satisfies CustomerLifecycle,
  });
}
export type ActivityService = ReturnType<typeof createActivityService>;
