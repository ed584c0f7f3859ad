import { eventually } from '@crm/testkit';
import type { ConsumedMessage, MessageBus } from '../src/bus';
import { createInProcessBus } from '../src/in-process-bus';

const messages = (...values: string[]) => values.map((value) => ({ key: 'k', value }));
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
const waitUntil = (what: string, condition: () => boolean) =>
  eventually(what, () => Promise.resolve(condition() ? true : undefined), 2_000);

describe('in-process bus', () => {
  let bus: MessageBus;

  beforeEach(() => {
    bus = createInProcessBus({ redeliveryDelayMs: 5 });
  });
  afterEach(() => bus.close());

  function collect(groupId: string, topics: string[], received: ConsumedMessage[] = [], fromBeginning = false) {
    return bus.subscribe({
      groupId,
      topics,
      fromBeginning,
      handle: (message) => {
        received.push(message);
        return Promise.resolve();
      },
    });
  }

  it('never runs a handler inside publish, and resolves publish only once every group has handled the messages', async () => {
    const calls: string[] = [];
    let releaseHandler!: () => void;
    const handlerMayFinish = new Promise<void>((resolve) => (releaseHandler = resolve));
    for (const groupId of ['g1', 'g2']) {
      await bus.subscribe({
        groupId,
        topics: ['t'],
        handle: async (message) => {
          calls.push(`${groupId} start ${message.value}`);
          if (groupId === 'g2') await handlerMayFinish;
          calls.push(`${groupId} done ${message.value}`);
        },
      });
    }

    const published = bus.publish('t', messages('a')).then(() => 'delivered');
    expect(calls).toEqual([]);
    const blocked = new Promise((resolve) => setTimeout(() => resolve('waiting for g2'), 300));
    expect(await Promise.race([published, blocked])).toBe('waiting for g2');
    expect(calls).toEqual(['g1 start a', 'g1 done a', 'g2 start a']);

    releaseHandler();
    expect(await published).toBe('delivered');
    expect(calls).toEqual(['g1 start a', 'g1 done a', 'g2 start a', 'g2 done a']);
  });

  it('rejects publish when a group stops before handling the messages, so the outbox keeps them for the next start', async () => {
    const subscription = await bus.subscribe({ groupId: 'g', topics: ['t'], handle: () => Promise.reject(new Error('the database is gone')) });
    const published = bus.publish('t', messages('a'));
    await settle();
    await subscription.close();
    await expect(published).rejects.toThrow('stopped before handling');
  });

  it('resolves publish at once when nobody subscribes to the topic', async () => {
    await expect(bus.publish('nobody', messages('a'))).resolves.toBeUndefined();
  });

  it('delivers every message once to each group, in publish order per topic', async () => {
    const first: ConsumedMessage[] = [];
    const second: ConsumedMessage[] = [];
    await collect('first', ['t1', 't2'], first);
    await collect('second', ['t1'], second);

    for (let batch = 0; batch < 10; batch += 1) {
      await bus.publish('t1', messages(...[0, 1, 2, 3, 4].map((i) => `t1-${batch * 5 + i}`)));
      await bus.publish('t2', messages(`t2-${batch}`));
    }
    await waitUntil('both groups caught up', () => first.length === 60 && second.length === 50);
    await settle();

    const t1InOrder = Array.from({ length: 50 }, (_, i) => `t1-${i}`);
    expect(first.filter((m) => m.topic === 't1').map((m) => m.value)).toEqual(t1InOrder);
    expect(first.filter((m) => m.topic === 't2').map((m) => m.value)).toEqual(Array.from({ length: 10 }, (_, i) => `t2-${i}`));
    expect(second.map((m) => m.value)).toEqual(t1InOrder);
    expect(second.map((m) => m.offset)).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
  });

  it('delivers a rejected message again, and nothing after it before it is handled', async () => {
    const deliveries: string[] = [];
    let rejectionsLeft = 2;
    await bus.subscribe({
      groupId: 'g',
      topics: ['t'],
      handle: (message) => {
        deliveries.push(message.value);
        if (message.value === 'b' && rejectionsLeft > 0) {
          rejectionsLeft -= 1;
          return Promise.reject(new Error('not yet'));
        }
        return Promise.resolve();
      },
    });

    await bus.publish('t', messages('a', 'b', 'c'));
    await waitUntil('c delivered', () => deliveries.includes('c'));
    await settle();

    expect(deliveries).toEqual(['a', 'b', 'b', 'b', 'c']);
  });

  it('gives a group that subscribes later the retained messages only when it asks for them from the beginning', async () => {
    await bus.close();
    bus = createInProcessBus({ retainPerTopic: 3 });
    await bus.publish('t', messages('1', '2', '3', '4', '5'));
    const fromStart: ConsumedMessage[] = [];
    const fromNow: ConsumedMessage[] = [];
    await collect('from-start', ['t'], fromStart, true);
    await collect('from-now', ['t'], fromNow, false);

    await bus.publish('t', messages('6'));
    await waitUntil('6 delivered to both', () => fromStart.length === 4 && fromNow.length === 1);

    expect(fromStart.map((m) => m.value)).toEqual(['3', '4', '5', '6']);
    expect(fromNow.map((m) => m.value)).toEqual(['6']);
  });

  it('keeps messages a live group has not handled yet, beyond the retention bound', async () => {
    await bus.close();
    bus = createInProcessBus({ retainPerTopic: 2 });
    const received: string[] = [];
    let releaseHandler!: () => void;
    const handlerMayRun = new Promise<void>((resolve) => (releaseHandler = resolve));
    await bus.subscribe({
      groupId: 'slow',
      topics: ['t'],
      handle: async (message) => {
        await handlerMayRun;
        received.push(message.value);
      },
    });

    const published = bus.publish('t', messages('1', '2', '3', '4', '5'));
    releaseHandler();
    await published;
    expect(received).toHaveLength(5);
    expect(received).toEqual(['1', '2', '3', '4', '5']);
  });

  it('stops delivering on close and resumes the group where it stopped when it subscribes again', async () => {
    const before: ConsumedMessage[] = [];
    const subscription = await collect('g', ['t'], before);
    await bus.publish('t', messages('1', '2'));
    await waitUntil('1 and 2 delivered', () => before.length === 2);

    await subscription.close();
    await bus.publish('t', messages('3', '4'));
    await settle();
    expect(before.map((m) => m.value)).toEqual(['1', '2']);

    const after: ConsumedMessage[] = [];
    await collect('g', ['t'], after, true);
    await waitUntil('3 and 4 delivered', () => after.length === 2);
    await settle();
    expect(after.map((m) => m.value)).toEqual(['3', '4']);
  });

  it('refuses a second live subscription of the same group', async () => {
    await collect('g', ['t']);
    await expect(collect('g', ['t'])).rejects.toThrow('already has a live subscription');
  });
});
