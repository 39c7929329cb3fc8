import type { NatsConnection } from 'nats';
import { GiveBack, subscribe, type Subscription } from './consumer.js';
import { EVENT_CATALOG, EVENT_TYPES, type EventOf, type EventType } from './events.js';
import type { Handler, SubscribeOptions } from './options.js';

/** {@link subscribe}'s options without handlers: the loop body is the handler, one event at a time. */
export type IterateOptions<T extends EventType = EventType> = Omit<SubscribeOptions, 'handlers' | 'onUnknown' | 'concurrency' | 'types'> & {
  readonly types?: readonly T[];
};

/** A subscription read with `for await`; also a {@link Subscription} (stats, stop). */
export interface EventIterator<E> extends Subscription, AsyncIterableIterator<E> {}

interface Pending<E> {
  readonly event: E;
  readonly ack: () => void;
  readonly redeliver: (reason: Error) => void;
}

/**
 * Reads a stream as an async iterator over the typed events. Same semantics as handlers with
 * `concurrency: 1`: an event is acked when the loop asks for the next one (its body completed), at
 * most `maxInFlight` are pulled ahead. Leaving the loop (break, return, a throw) stops the
 * subscription and gives the event in hand back to the server at once (not counted as a failure),
 * so nothing is acked that the body did not finish. Unknown types and versions follow `policy.unknown`.
 */
export async function iterate<T extends EventType = EventType>(nc: NatsConnection, options: IterateOptions<T>): Promise<EventIterator<EventOf<T>>> {
  type E = EventOf<T>;
  const queue: Pending<E>[] = [];
  let current: Pending<E> | undefined;
  let waiter: ((item: Pending<E> | undefined) => void) | undefined;
  let done = false;

  const handler: Handler<E> = (event) =>
    new Promise<void>((ack, redeliver) => {
      if (done) return redeliver(new GiveBack('the iteration has ended'));
      const item = { event, ack, redeliver };
      if (waiter) {
        const w = waiter;
        waiter = undefined;
        w(item);
      } else queue.push(item);
    });
  const wanted = options.types ?? EVENT_TYPES.filter((t) => EVENT_CATALOG[t].stream === options.stream);
  const handlers = Object.fromEntries(wanted.map((t) => [t, handler]));
  const sub = await subscribe(nc, { ...options, handlers, concurrency: 1 });

  const end = async (): Promise<IteratorResult<E>> => {
    if (!done) {
      done = true;
      const reason = new GiveBack('the iteration ended before this event was processed');
      for (const item of [current, ...queue.splice(0)]) item?.redeliver(reason);
      current = undefined;
      waiter?.(undefined);
      waiter = undefined;
    }
    await sub.stop();
    return { done: true, value: undefined };
  };

  const iterator: EventIterator<E> = {
    name: sub.name,
    stream: sub.stream,
    stats: () => sub.stats(),
    stop: async () => void (await end()),
    async next() {
      current?.ack();
      current = undefined;
      if (done) return { done: true, value: undefined };
      const item = queue.shift() ?? (await new Promise<Pending<E> | undefined>((r) => (waiter = r)));
      if (item === undefined) return { done: true, value: undefined };
      current = item;
      return { done: false, value: item.event };
    },
    return: end,
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
