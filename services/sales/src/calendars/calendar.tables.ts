import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

export interface CalendarTables {
  calendar_resource: { id: string; owner_key: string; name: string; created_at: Timestamp };
  booking: {
    id: string;
    /** `rep:<subject>` or `dealer:<uuid>`: no two live bookings of one owner overlap (an exclusion constraint). */
    owner_key: string;
    /** Nor two of one resource (a test-drive car). */
    resource_id: string | null;
    activity_id: string | null;
    title: string;
    /** tstzrange '[start,end)'; read through lower()/upper(). */
    during: string;
    status: 'booked' | 'cancelled';
    created_at: Timestamp;
    created_by: string;
    cancelled_at: Timestamp | null;
  };
}
