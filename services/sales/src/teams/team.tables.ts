import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

export interface TeamTables {
  sales_team: {
    id: string;
    name: string;
    /** Product lines the team sells (routing by product line picks a team among these). */
    product_lines: ColumnType<string[], string[], string[]>;
    version: Generated<number>;
    created_at: Timestamp;
    updated_at: Timestamp;
  };
  sales_team_member: {
    team_id: string;
    /** The staff principal's subject. */
    subject: string;
    role: 'rep' | 'manager';
    /** Open leads the rep may hold at once (round-robin skips a rep at capacity); null: no limit. */
    capacity: number | null;
    /** Round-robin turn: the rep assigned longest ago goes next. */
    last_assigned_at: Timestamp | null;
  };
}
