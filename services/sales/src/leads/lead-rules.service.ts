import { problem, Problems, requireIfMatch, type Runtime } from '@crm/platform';
import type { SalesDb } from '../db/tables';
import { leadRepository, type AssignmentRuleRow, type RatingRuleRow } from './lead.repository';
import { targetConsistent, type AssignmentRuleChanges, type AssignmentRuleView, type NewAssignmentRule, type NewRatingRule, type RatingRuleChanges, type RatingRuleView } from './lead.schemas';
import type { RatingConditions, RatingRule } from './lead-rating.rules';
import type { RoutingConditions, RoutingRule } from './lead-routing.rules';

export const ratingRuleView = (row: RatingRuleRow): RatingRuleView => ({
  id: row.id,
  name: row.name,
  position: row.position,
  conditions: row.conditions as RatingConditions,
  rating: row.rating,
  active: row.active,
  version: row.version,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

export const assignmentRuleView = (row: AssignmentRuleRow): AssignmentRuleView => ({
  id: row.id,
  name: row.name,
  position: row.position,
  conditions: row.conditions as RoutingConditions,
  target: row.target,
  dealerIds: row.dealer_ids,
  teamId: row.team_id,
  slaBusinessHours: row.sla_business_hours === null ? null : Number(row.sla_business_hours),
  reassignOnBreach: row.reassign_on_breach,
  active: row.active,
  version: row.version,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

export const ratingRuleOf = (row: RatingRuleRow): RatingRule => ({ id: row.id, position: row.position, conditions: row.conditions as RatingConditions, rating: row.rating });
export const routingRuleOf = (row: AssignmentRuleRow): RoutingRule => ({
  id: row.id,
  name: row.name,
  position: row.position,
  conditions: row.conditions as RoutingConditions,
  target: row.target,
  dealerIds: row.dealer_ids,
  teamId: row.team_id,
  teamName: row.team_name,
  slaBusinessHours: row.sla_business_hours === null ? null : Number(row.sla_business_hours),
  reassignOnBreach: row.reassign_on_breach,
});

/** Admin-managed lead rating and assignment rules (ordered by position; the first match wins). */
export function createLeadRulesService(deps: { db: SalesDb; runtime: Runtime; write: <T>(work: (trx: SalesDb) => Promise<T>) => Promise<T> }) {
  const { db, runtime } = deps;
  const notFound = (what: string, id: string) => problem(Problems.notFound, `${what} ${id} does not exist`);
  const checkTeam = async (trx: SalesDb, teamId: string | null | undefined) => {
    if (teamId && !(await leadRepository.teamExists(trx, teamId))) throw problem(Problems.unprocessable, `sales team ${teamId} does not exist`);
  };

  return Object.freeze({
    async createRatingRule(input: NewRatingRule): Promise<RatingRuleView> {
      const at = runtime.now();
      const row = await deps.write((trx) =>
        leadRepository.insertRatingRule(trx, { id: runtime.newId(), name: input.name, position: input.position, conditions: JSON.stringify(input.conditions), rating: input.rating, active: input.active, created_at: at, updated_at: at }),
      );
      return ratingRuleView(row);
    },
    async listRatingRules() {
      return { items: (await leadRepository.listRatingRules(db)).map(ratingRuleView) };
    },
    async getRatingRule(id: string) {
      const row = await leadRepository.findRatingRule(db, id);
      if (!row) throw notFound('lead rating rule', id);
      return ratingRuleView(row);
    },
    async updateRatingRule(id: string, changes: RatingRuleChanges, ifMatch: string | undefined) {
      return deps.write(async (trx) => {
        const current = await leadRepository.findRatingRule(trx, id, true);
        if (!current) throw notFound('lead rating rule', id);
        requireIfMatch(ifMatch, current.version);
        const { conditions, ...rest } = changes;
        return ratingRuleView(await leadRepository.updateRatingRule(trx, id, { ...rest, ...(conditions ? { conditions: JSON.stringify(conditions) } : {}), updated_at: runtime.now() }));
      });
    },
    async deleteRatingRule(id: string) {
      if (!(await deps.write((trx) => leadRepository.deleteRatingRule(trx, id)))) throw notFound('lead rating rule', id);
    },

    async createAssignmentRule(input: NewAssignmentRule): Promise<AssignmentRuleView> {
      const at = runtime.now();
      return deps.write(async (trx) => {
        await checkTeam(trx, input.teamId);
        const row = await leadRepository.insertAssignmentRule(trx, {
          id: runtime.newId(),
          name: input.name,
          position: input.position,
          conditions: JSON.stringify(input.conditions),
          target: input.target,
          dealer_ids: input.dealerIds,
          team_id: input.teamId,
          sla_business_hours: input.slaBusinessHours === null ? null : String(input.slaBusinessHours),
          reassign_on_breach: input.reassignOnBreach,
          active: input.active,
          created_at: at,
          updated_at: at,
        });
        return assignmentRuleView(row);
      });
    },
    async listAssignmentRules() {
      return { items: (await leadRepository.listAssignmentRules(db)).map(assignmentRuleView) };
    },
    async getAssignmentRule(id: string) {
      const row = await leadRepository.findAssignmentRule(db, id);
      if (!row) throw notFound('lead assignment rule', id);
      return assignmentRuleView(row);
    },
    async updateAssignmentRule(id: string, changes: AssignmentRuleChanges, ifMatch: string | undefined) {
      return deps.write(async (trx) => {
        const current = await leadRepository.findAssignmentRule(trx, id, true);
        if (!current) throw notFound('lead assignment rule', id);
        requireIfMatch(ifMatch, current.version);
        const merged = { target: changes.target ?? current.target, dealerIds: changes.dealerIds ?? current.dealer_ids, teamId: changes.teamId === undefined ? current.team_id : changes.teamId };
        if (!targetConsistent(merged)) throw problem(Problems.unprocessable, 'a dealers rule names dealerIds (and only it); a team rule names teamId (and only it)');
        await checkTeam(trx, merged.teamId);
        const row = await leadRepository.updateAssignmentRule(trx, id, {
          ...(changes.name !== undefined ? { name: changes.name } : {}),
          ...(changes.position !== undefined ? { position: changes.position } : {}),
          ...(changes.conditions !== undefined ? { conditions: JSON.stringify(changes.conditions) } : {}),
          ...(changes.slaBusinessHours !== undefined ? { sla_business_hours: changes.slaBusinessHours === null ? null : String(changes.slaBusinessHours) } : {}),
          ...(changes.reassignOnBreach !== undefined ? { reassign_on_breach: changes.reassignOnBreach } : {}),
          ...(changes.active !== undefined ? { active: changes.active } : {}),
          target: merged.target,
          dealer_ids: merged.dealerIds,
          team_id: merged.teamId,
          updated_at: runtime.now(),
        });
        return assignmentRuleView(row);
      });
    },
    async deleteAssignmentRule(id: string) {
      if (!(await deps.write((trx) => leadRepository.deleteAssignmentRule(trx, id)))) throw notFound('lead assignment rule', id);
    },
  });
}
export type LeadRulesService = ReturnType<typeof createLeadRulesService>;
