import { sql, type Insertable } from 'kysely';
import type { SalesDb } from '../db/tables';
import type { CalendarTables } from './calendar.tables';

export interface BookingRow {
  id: string;
  owner_key: string;
  resource_id: string | null;
  activity_id: string | null;
  title: string;
  start: Date;
  end: Date;
  status: 'booked' | 'cancelled';
  created_at: Date;
  created_by: string;
  cancelled_at: Date | null;
}

/** Which exclusion constraint refused a booking: the owner's calendar or the resource. */
export type BookingClash = 'owner' | 'resource';

const BOOKING_COLUMNS = ['id', 'owner_key', 'resource_id', 'activity_id', 'title', 'status', 'created_at', 'created_by', 'cancelled_at'] as const;
const bookings = (db: SalesDb) =>
  db.selectFrom('booking').select([...BOOKING_COLUMNS, sql<Date>`lower(during)`.as('start'), sql<Date>`upper(during)`.as('end')]);

/** Every statement on calendar resources and bookings. */
export const calendarRepository = Object.freeze({
  async insertResource(db: SalesDb, row: Insertable<CalendarTables['calendar_resource']>) {
    return db.insertInto('calendar_resource').values(row).onConflict((oc) => oc.columns(['owner_key', 'name']).doNothing()).returningAll().executeTakeFirst();
  },

  async resources(db: SalesDb, ownerKey: string) {
    return db.selectFrom('calendar_resource').selectAll().where('owner_key', '=', ownerKey).orderBy('name').limit(500).execute();
  },

  async findResource(db: SalesDb, id: string) {
    return db.selectFrom('calendar_resource').selectAll().where('id', '=', id).executeTakeFirst();
  },

  /**
   * Books the slot, or names the clash: the exclusion constraints decide, so of two concurrent requests
   * for one slot exactly one wins (the other waits for it to commit, then fails here).
   */
  async insertBooking(db: SalesDb, row: Omit<BookingRow, 'status' | 'cancelled_at'>): Promise<{ booked: true } | { clash: BookingClash }> {
    try {
      await db
        .insertInto('booking')
        .values({
          id: row.id,
          owner_key: row.owner_key,
          resource_id: row.resource_id,
          activity_id: row.activity_id,
          title: row.title,
          during: sql<string>`tstzrange(${row.start}::timestamptz, ${row.end}::timestamptz, '[)')`,
          status: 'booked',
          created_at: row.created_at,
          created_by: row.created_by,
          cancelled_at: null,
        })
        .execute();
      return { booked: true };
    } catch (error) {
      const { code, constraint } = error as { code?: string; constraint?: string };
      if (code !== '23P01') throw error;
      return { clash: constraint === 'booking_resource_overlap' ? 'resource' : 'owner' };
    }
  },

  async findBooking(db: SalesDb, ownerKey: string, id: string, options: { forUpdate?: boolean } = {}) {
    let query = bookings(db).where('id', '=', id).where('owner_key', '=', ownerKey);
    if (options.forUpdate) query = query.forUpdate();
    return query.executeTakeFirst();
  },

  async cancelBooking(db: SalesDb, id: string, at: Date) {
    await db.updateTable('booking').set({ status: 'cancelled', cancelled_at: at }).where('id', '=', id).execute();
  },

  /** The live bookings made for an activity (they go with it). */
  async liveOfActivity(db: SalesDb, activityId: string) {
    return bookings(db).where('activity_id', '=', activityId).where('status', '=', 'booked').execute();
  },

  /** The owner's (or, given one, the resource's) bookings overlapping [from, to), in time order. */
  async bookingsWithin(db: SalesDb, filter: { ownerKey: string; resourceId?: string; status?: 'booked' | 'cancelled' }, from: Date, to: Date) {
    let query = bookings(db)
      .where('owner_key', '=', filter.ownerKey)
      .where(sql<boolean>`during && tstzrange(${from}::timestamptz, ${to}::timestamptz, '[)')`);
    if (filter.resourceId) query = query.where('resource_id', '=', filter.resourceId);
    if (filter.status) query = query.where('status', '=', filter.status);
    return query.orderBy(sql`lower(during)`).orderBy('id').limit(2000).execute();
  },
});
