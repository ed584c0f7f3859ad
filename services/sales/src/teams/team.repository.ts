import type { Selectable } from 'kysely';
import type { SalesDb } from '../db/tables';
import type { TeamTables } from './team.tables';

export type TeamRow = Selectable<TeamTables['sales_team']>;
export type TeamMemberRow = Selectable<TeamTables['sales_team_member']>;

export interface TeamMemberInput {
  subject: string;
  role: 'rep' | 'manager';
  capacity: number | null;
}

/** Every statement on teams; functions take the handle or transaction first. */
export const teamRepository = Object.freeze({
  async insert(db: SalesDb, team: { id: string; name: string; productLines: string[]; at: Date }) {
    return db
      .insertInto('sales_team')
      .values({ id: team.id, name: team.name, product_lines: team.productLines, created_at: team.at, updated_at: team.at })
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  async find(db: SalesDb, id: string, options: { forUpdate?: boolean } = {}) {
    let query = db.selectFrom('sales_team').selectAll().where('id', '=', id);
    if (options.forUpdate) query = query.forUpdate();
    return query.executeTakeFirst();
  },

  async list(db: SalesDb, page: { after?: string; limit: number }) {
    let query = db.selectFrom('sales_team').selectAll().orderBy('id').limit(page.limit);
    if (page.after) query = query.where('id', '>', page.after);
    return query.execute();
  },

  async update(db: SalesDb, id: string, changes: { name?: string; productLines?: string[]; at: Date }) {
    return db
      .updateTable('sales_team')
      .set((eb) => ({
        ...(changes.name !== undefined ? { name: changes.name } : {}),
        ...(changes.productLines !== undefined ? { product_lines: changes.productLines } : {}),
        updated_at: changes.at,
        version: eb('version', '+', 1),
      }))
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  async membersOf(db: SalesDb, teamIds: readonly string[]) {
    if (teamIds.length === 0) return [];
    return db.selectFrom('sales_team_member').selectAll().where('team_id', 'in', [...teamIds]).orderBy('subject').execute();
  },

  /** Replaces the team's members; a rep who stays keeps its round-robin turn. */
  async replaceMembers(db: SalesDb, teamId: string, members: readonly TeamMemberInput[]) {
    const kept = members.map((m) => m.subject);
    let removal = db.deleteFrom('sales_team_member').where('team_id', '=', teamId);
    if (kept.length > 0) removal = removal.where('subject', 'not in', kept);
    await removal.execute();
    if (members.length === 0) return;
    await db
      .insertInto('sales_team_member')
      .values(members.map((m) => ({ team_id: teamId, subject: m.subject, role: m.role, capacity: m.capacity, last_assigned_at: null })))
      .onConflict((oc) => oc.columns(['team_id', 'subject']).doUpdateSet((eb) => ({ role: eb.ref('excluded.role'), capacity: eb.ref('excluded.capacity') })))
      .execute();
  },

  /** Subjects whose rows `subject` sees: itself, the members of the teams it is in, all members of the teams it manages. */
  async visibleSubjects(db: SalesDb, subject: string): Promise<string[]> {
    const rows = await db
      .selectFrom('sales_team_member as me')
      .innerJoin('sales_team_member as other', 'other.team_id', 'me.team_id')
      .select('other.subject')
      .distinct()
      .where('me.subject', '=', subject)
      .execute();
    return [...new Set([subject, ...rows.map((row) => row.subject)])];
  },
});
