import { CustomerEvents, type CloudEvent } from '@crm/domain';
import type { Kysely } from 'kysely';
import { eventHandlersFor } from '../src';

describe('typed event handlers', () => {
  it('registers a handler under its event type and hands it the data as the event defines it', async () => {
    const on = eventHandlersFor<{ customer: { id: string } }>();
    const seen: string[] = [];
    const handlers = on(CustomerEvents.erased, async (_trx, { customerId, mergedIds }) => {
      seen.push(customerId, ...(mergedIds ?? []));
    });
    expect(Object.keys(handlers)).toEqual(['crm.customer.erased.v1']);
    const event = { type: 'crm.customer.erased.v1', data: { customerId: 'c1', mergedIds: ['m1'] } } as unknown as CloudEvent;
    await handlers['crm.customer.erased.v1'](undefined as unknown as Kysely<unknown>, event);
    expect(seen).toEqual(['c1', 'm1']);
  });
});
