import type { Principal } from '@crm/domain';
import type { SalesDb } from '../db/tables';
import { teamRepository } from '../teams/team.repository';
import { salesScopeOf, type SalesScope } from './ownership';

/**
 * The caller's scope, its teams read through `executor`: inside a transaction pass the transaction, never
 * the pool (embedded PGlite has one connection, and a query beside an open transaction waits forever).
 */
export const callerScope = (executor: SalesDb, principal: Principal): Promise<SalesScope> =>
  salesScopeOf(principal, (subject) => teamRepository.visibleSubjects(executor, subject));
