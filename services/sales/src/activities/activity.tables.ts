import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

export type ActivityKind = 'call' | 'meeting' | 'test_drive' | 'visit' | 'task' | 'email';
export type TargetKind = 'lead' | 'opportunity' | 'customer';

export interface ActivityTables {
  activity: {
    id: string;
    kind: ActivityKind;
    target_kind: TargetKind;
    target_id: string;
    /** The customer the target belongs to (a lead or opportunity may have none yet): its timeline gets the activity. */
    customer_id: string | null;
    dealer_id: string | null;
    owner_subject: string | null;
    subject: string;
    notes: string | null;
    due_at: Timestamp | null;
    duration_minutes: number | null;
    /** iCalendar RRULE of a recurring task, its occurrences starting at due_at. */
    rrule: string | null;
    status: 'open' | 'completed';
    completed_at: Timestamp | null;
    outcome: string | null;
    created_at: Timestamp;
    created_by: string;
    updated_at: Timestamp;
    version: Generated<number>;
  };
}
