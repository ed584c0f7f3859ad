import { decodeCursor, paginate, problem, Problems, requireIfMatch, type Runtime } from '@crm/platform';
import type { SalesDb } from '../db/tables';
import { z } from 'zod';
import { teamRepository, type TeamMemberRow, type TeamRow } from './team.repository';
import type { NewTeam, Team, TeamChanges } from './team.schemas';


const teamOf = (row: TeamRow, members: TeamMemberRow[]): Team => ({
  id: row.id,
  name: row.name,
  productLines: row.product_lines,
  members: members.map((m) => ({ subject: m.subject, role: m.role, capacity: m.capacity })),
  version: row.version,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

const IdCursor = z.object({ id: z.uuid() });

/** Sales teams: who sells together (visibility, round-robin routing, team forecasts). Admin-managed. */
export function createTeamService(deps: { db: SalesDb; runtime: Runtime; write: <T>(work: (trx: SalesDb) => Promise<T>) => Promise<T> }) {
  const { db, runtime } = deps;
  const withMembers = async (executor: SalesDb, row: TeamRow) => teamOf(row, await teamRepository.membersOf(executor, [row.id]));

  return {
    async create(input: NewTeam): Promise<Team> {
      return deps.write(async (trx) => {
        const row = await teamRepository.insert(trx, { id: runtime.newId(), name: input.name, productLines: input.productLines, at: runtime.now() });
        await teamRepository.replaceMembers(trx, row.id, input.members);
        return withMembers(trx, row);
      });
    },

    async get(id: string): Promise<Team> {
      const row = await teamRepository.find(db, id);
      if (!row) throw problem(Problems.notFound, `sales team ${id} does not exist`);
      return withMembers(db, row);
    },

    async list(page: { limit: number; cursor?: string }) {
      const after = decodeCursor(page.cursor, IdCursor);
      const rows = await teamRepository.list(db, { after: after?.id, limit: page.limit + 1 });
      const members = await teamRepository.membersOf(db, rows.map((row) => row.id));
      return paginate(rows, page.limit, (row) => teamOf(row, members.filter((m) => m.team_id === row.id)), (row) => ({ id: row.id }));
    },

    async update(id: string, changes: TeamChanges, ifMatch: string | undefined): Promise<Team> {
      return deps.write(async (trx) => {
        const current = await teamRepository.find(trx, id, { forUpdate: true });
        if (!current) throw problem(Problems.notFound, `sales team ${id} does not exist`);
        requireIfMatch(ifMatch, current.version);
        const row = await teamRepository.update(trx, id, { name: changes.name, productLines: changes.productLines, at: runtime.now() });
        if (changes.members) await teamRepository.replaceMembers(trx, id, changes.members);
        return withMembers(trx, row);
      });
    },
  };
}
export type TeamService = ReturnType<typeof createTeamService>;
