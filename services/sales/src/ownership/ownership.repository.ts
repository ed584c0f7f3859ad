import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { SalesScope } from './ownership';

/** Table-qualified column names a list query filters ownership on. */
export interface OwnershipColumns {
  owner?: string;
  dealer?: string;
  customer?: string;
}

/**
 * The scope as a WHERE condition for list queries: `query.where(inScopeWhere(scope, { owner: 'lead.owner_subject', … }))`.
 * A scope whose column the table lacks matches nothing (fail closed).
 */
export function inScopeWhere(scope: SalesScope, columns: OwnershipColumns): RawBuilder<SqlBool> {
  const column = (name: string | undefined) => (name ? sql.ref(name) : undefined);
  switch (scope.kind) {
    case 'all':
      return sql<SqlBool>`true`;
    case 'owners': {
      const owner = column(columns.owner);
      return owner && scope.subjects.length > 0 ? sql<SqlBool>`${owner} = any(${scope.subjects}::text[])` : sql<SqlBool>`false`;
    }
    case 'dealer': {
      const dealer = column(columns.dealer);
      return dealer ? sql<SqlBool>`${dealer} = ${scope.dealerId}::uuid` : sql<SqlBool>`false`;
    }
    case 'account': {
      const customer = column(columns.customer);
      return customer ? sql<SqlBool>`${customer} = ${scope.customerId}::uuid` : sql<SqlBool>`false`;
    }
  }
}
