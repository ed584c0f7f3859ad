import { randomUUID } from 'node:crypto';
import { CustomerEvents, SalesActivityEvents, type Principal } from '@crm/domain';
import { eventually } from '@crm/testkit';
import { sql } from 'kysely';
import { accountPrincipal, admin, as, dealerPrincipal, manager, rep, snapshot, startSales, type SalesHarness } from './harness';

/** Calendars on the real PostgreSQL and Kafka: overlaps refused by the database, free/busy in business hours, scope. */
let h: SalesHarness;
const inject = (method: 'GET' | 'POST', url: string, principal: Principal, payload?: object, headers: Record<string, string> = {}) =>
  h.service.app.inject({ method, url, headers: as(principal, headers), ...(payload ? { payload } : {}) });
const bookings = async () => Number((await sql<{ n: string }>`select count(*) as n from sales.booking`.execute(h.db)).rows[0]!.n);

const tag = randomUUID().slice(0, 6);
const dealerA = randomUUID();
const dealerB = randomUUID();
const li = rep(`li-${tag}`);
const mate = rep(`mate-${tag}`);
const boss = manager(`boss-${tag}`);
const zhao = rep(`zhao-${tag}`);
const dealerCalendar = `/v1/calendars/dealer:${dealerA}`;
const liCalendar = `/v1/calendars/rep:${li.subject}`;
// A Monday, far enough ahead to never be in the past; Shanghai business hours are 01:00–10:00 UTC.
const day = '2027-03-01';
const at = (time: string) => `${day}T${time}:00Z`;

beforeAll(async () => {
  h = await startSales();
  expect((await inject('POST', '/v1/sales-teams', admin, { name: `Cal ${tag}`, members: [{ subject: li.subject, role: 'rep' }, { subject: mate.subject, role: 'rep' }, { subject: boss.subject, role: 'manager' }] })).statusCode).toBe(201);
});
afterAll(() => h.close());

describe('calendars', () => {
  it('books a dealer\'s test-drive car once: an overlapping slot is a 409, an adjacent one is fine', async () => {
    const dealer = dealerPrincipal(dealerA);
    const car = await inject('POST', `${dealerCalendar}/resources`, dealer, { name: 'Tiguan L demo' });
    expect(car.statusCode).toBe(201);
    expect((await inject('POST', `${dealerCalendar}/resources`, dealer, { name: 'Tiguan L demo' })).statusCode).toBe(409);
    expect((await inject('GET', `${dealerCalendar}/resources`, dealer)).json().items.map((r: { id: string }) => r.id)).toEqual([car.json().id]);

    const first = await inject('POST', `${dealerCalendar}/bookings`, dealer, { start: at('02:00'), end: at('03:00'), title: 'Test drive', resourceId: car.json().id });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ ownerKey: `dealer:${dealerA}`, resourceId: car.json().id, start: '2027-03-01T02:00:00.000Z', end: '2027-03-01T03:00:00.000Z', status: 'booked' });
    const made = await eventually('the booking event', async () => h.salesEvents.find((e) => e.type === SalesActivityEvents.bookingMade.type && (e.data as { bookingId: string }).bookingId === first.json().id));
    expect(made.data).toMatchObject({ ownerKey: `dealer:${dealerA}`, start: '2027-03-01T02:00:00.000Z' });

    const before = await bookings();
    const overlap = await inject('POST', `${dealerCalendar}/bookings`, dealer, { start: at('02:30'), end: at('03:30'), title: 'Another drive', resourceId: car.json().id });
    expect(overlap.statusCode).toBe(409);
    expect(overlap.json()).toMatchObject({ type: 'urn:crm:problem:conflict' });
    expect(overlap.json().detail).toContain('already');
    expect(await bookings()).toBe(before);
    expect((await inject('POST', `${dealerCalendar}/bookings`, dealer, { start: at('03:00'), end: at('04:00'), title: 'Next drive', resourceId: car.json().id })).statusCode).toBe(201);
    // The car is the dealer's: another calendar cannot book it.
    expect((await inject('POST', `${liCalendar}/bookings`, li, { start: at('05:00'), end: at('06:00'), title: 'x', resourceId: car.json().id })).statusCode).toBe(404);
  });

  it('lets exactly one of many concurrent requests for one slot win', async () => {
    const before = await bookings();
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => inject('POST', `${liCalendar}/bookings`, li, { start: at('07:00'), end: at('08:00'), title: `Race ${i}` })),
    );
    expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    expect(await bookings()).toBe(before + 1);
  });

  it('refuses a booking in the past or a backwards one, writing nothing', async () => {
    const before = await bookings();
    const past = await inject('POST', `${liCalendar}/bookings`, li, { start: '2020-01-06T02:00:00Z', end: '2020-01-06T03:00:00Z', title: 'Too late' });
    expect(past.statusCode).toBe(422);
    expect(past.json()).toMatchObject({ type: 'urn:crm:problem:rule-violation' });
    expect(past.json().detail).toContain('past');
    expect((await inject('POST', `${liCalendar}/bookings`, li, { start: at('04:00'), end: at('03:00'), title: 'Backwards' })).statusCode).toBe(400);
    expect((await inject('POST', `${liCalendar}/bookings`, li, { start: at('04:00'), end: '2027-03-03T04:00:00Z', title: 'Too long' })).statusCode).toBe(400);
    expect((await inject('POST', `/v1/calendars/someone/bookings`, li, { start: at('04:00'), end: at('05:00'), title: 'Bad key' })).statusCode).toBe(400);
    expect((await inject('POST', `${liCalendar}/bookings`, li, { start: at('04:00'), end: at('05:00'), title: 'x', activityId: randomUUID() })).statusCode).toBe(404);
    expect(await bookings()).toBe(before);
  });

  it('lets only the owner, its manager and admin use a calendar; everyone else gets 404', async () => {
    const window = `from=${at('00:00')}&to=2027-03-02T00:00:00Z`;
    for (const principal of [li, boss, admin]) expect((await inject('GET', `${liCalendar}/bookings?${window}`, principal)).statusCode).toBe(200);
    for (const principal of [mate, zhao, dealerPrincipal(dealerA)]) {
      expect((await inject('GET', `${liCalendar}/bookings?${window}`, principal)).statusCode).toBe(404);
      expect((await inject('GET', `${liCalendar}/free-busy?${window}`, principal)).statusCode).toBe(404);
      expect((await inject('POST', `${liCalendar}/bookings`, principal, { start: at('09:00'), end: at('09:30'), title: 'x' })).statusCode).toBe(404);
    }
    for (const principal of [dealerPrincipal(dealerB), li, boss]) {
      expect((await inject('GET', `${dealerCalendar}/bookings?${window}`, principal)).statusCode).toBe(404);
      expect((await inject('POST', `${dealerCalendar}/resources`, principal, { name: 'Mine now' })).statusCode).toBe(404);
    }
    expect((await inject('GET', `${dealerCalendar}/bookings?${window}`, accountPrincipal(randomUUID(), 'buyer'))).statusCode).toBe(403);
  });

  it('answers free/busy from bookings and expanded recurring tasks, free slots within business hours', async () => {
    const sun = rep(`sun-${tag}`);
    const customer = randomUUID();
    await h.knownCustomer(snapshot(customer));
    // Every weekday at 09:00 Shanghai for an hour; and a booking from 13:00 to 14:00.
    const task = await inject('POST', '/v1/activities', sun, { kind: 'task', target: { kind: 'customer', id: customer }, subject: 'Morning calls', dueAt: '2027-02-01T01:00:00Z', durationMinutes: 60, rrule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR' });
    expect(task.statusCode).toBe(201);
    const booking = (await inject('POST', `/v1/calendars/rep:${sun.subject}/bookings`, sun, { start: at('05:00'), end: at('06:00'), title: 'Customer visit' })).json();
    const answer = await inject('GET', `/v1/calendars/rep:${sun.subject}/free-busy?from=${at('00:00')}&to=2027-03-02T00:00:00Z`, sun);
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toEqual({
      ownerKey: `rep:${sun.subject}`,
      resourceId: null,
      timeZone: 'Asia/Shanghai',
      busy: [
        { start: '2027-03-01T01:00:00.000Z', end: '2027-03-01T02:00:00.000Z', source: 'activity', id: task.json().id },
        { start: '2027-03-01T05:00:00.000Z', end: '2027-03-01T06:00:00.000Z', source: 'booking', id: booking.id },
      ],
      free: [
        { start: '2027-03-01T02:00:00.000Z', end: '2027-03-01T05:00:00.000Z' },
        { start: '2027-03-01T06:00:00.000Z', end: '2027-03-01T10:00:00.000Z' },
      ],
    });
    // A weekend has no business hours, and no weekday task.
    const weekend = (await inject('GET', `/v1/calendars/rep:${sun.subject}/free-busy?from=2027-03-06T00:00:00Z&to=2027-03-07T16:00:00Z`, sun)).json();
    expect(weekend).toMatchObject({ busy: [], free: [] });
    expect((await inject('GET', `/v1/calendars/rep:${sun.subject}/free-busy?from=${at('00:00')}&to=2027-05-01T00:00:00Z`, sun)).statusCode).toBe(400);
  });

  it('answers a retried booking with the same Idempotency-Key with the first booking, not a conflict', async () => {
    const key = { 'idempotency-key': `book-${tag}` };
    const slot = { start: '2027-03-03T02:00:00Z', end: '2027-03-03T03:00:00Z', title: 'Retried' };
    const first = await inject('POST', `${liCalendar}/bookings`, li, slot, key);
    expect(first.statusCode).toBe(201);
    const before = await bookings();
    const retry = await inject('POST', `${liCalendar}/bookings`, li, slot, key);
    expect(retry.statusCode).toBe(201);
    expect(retry.json().id).toBe(first.json().id);
    expect(await bookings()).toBe(before);
    const read = await inject('GET', first.headers.location as string, li);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(first.json());
    expect((await inject('GET', `/v1/calendars/rep:${zhao.subject}/bookings/${first.json().id}`, zhao)).statusCode).toBe(404);
  });

  it('cancels a booking, freeing its slot, and refuses to cancel it twice', async () => {
    const booking = (await inject('POST', `${liCalendar}/bookings`, li, { start: at('08:00'), end: at('09:00'), title: 'Maybe' })).json();
    const cancelled = await inject('POST', `${liCalendar}/bookings/${booking.id}/cancel`, li);
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({ status: 'cancelled' });
    expect((await inject('POST', `${liCalendar}/bookings/${booking.id}/cancel`, li)).statusCode).toBe(409);
    expect((await inject('POST', `/v1/calendars/rep:${zhao.subject}/bookings/${booking.id}/cancel`, zhao)).statusCode).toBe(404);
    await eventually('the cancellation event', async () => h.salesEvents.find((e) => e.type === SalesActivityEvents.bookingCancelled.type && (e.data as { bookingId: string }).bookingId === booking.id));
    expect((await inject('POST', `${liCalendar}/bookings`, li, { start: at('08:00'), end: at('09:00'), title: 'Sure' })).statusCode).toBe(201);
    const listed = (await inject('GET', `${liCalendar}/bookings?from=${at('08:00')}&to=${at('09:00')}&status=cancelled`, li)).json().items;
    expect(listed.map((b: { id: string }) => b.id)).toEqual([booking.id]);
  });

  it('cancels the bookings of a deleted activity, freeing the slot', async () => {
    const person = randomUUID();
    await h.knownCustomer(snapshot(person, { dealerId: dealerA }));
    const drive = (await inject('POST', '/v1/activities', dealerPrincipal(dealerA), { kind: 'test_drive', target: { kind: 'customer', id: person }, subject: 'Drive' })).json();
    const slot = { start: '2027-03-04T02:00:00Z', end: '2027-03-04T03:00:00Z', title: 'Drive' };
    const booking = (await inject('POST', `${dealerCalendar}/bookings`, dealerPrincipal(dealerA), { ...slot, activityId: drive.id })).json();
    expect((await h.service.app.inject({ method: 'DELETE', url: `/v1/activities/${drive.id}`, headers: as(dealerPrincipal(dealerA)) })).statusCode).toBe(204);
    await eventually('the cancellation event', async () => h.salesEvents.find((e) => e.type === SalesActivityEvents.bookingCancelled.type && (e.data as { bookingId: string }).bookingId === booking.id));
    expect((await inject('POST', `${dealerCalendar}/bookings`, dealerPrincipal(dealerA), slot)).statusCode).toBe(201);
  });

  it('erases the bookings of an erased customer\'s activities', async () => {
    const person = randomUUID();
    await h.knownCustomer(snapshot(person, { dealerId: dealerA }));
    const drive = (await inject('POST', '/v1/activities', dealerPrincipal(dealerA), { kind: 'test_drive', target: { kind: 'customer', id: person }, subject: 'Drive' })).json();
    const booking = await inject('POST', `${dealerCalendar}/bookings`, dealerPrincipal(dealerA), { start: '2027-03-02T02:00:00Z', end: '2027-03-02T03:00:00Z', title: 'Drive', activityId: drive.id });
    expect(booking.statusCode).toBe(201);
    await h.publish(CustomerEvents.erased, { customerId: person, mergedIds: [] });
    await eventually('the erasure', async () => ((await sql`select 1 from sales.booking where id = ${booking.json().id}`.execute(h.db)).rows.length === 0 ? true : undefined));
  });
});
