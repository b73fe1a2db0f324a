/**
 * The pubsub on Redis, so a message published on one replica reaches subscribers on
 * every replica.
 *
 * Contract: same as `PubSub` in `pubsub.ts`. Channels are `<prefix><topic>` and
 * `<prefix><topic>:<key>`; payloads travel as JSON. It works on two connections it is
 * given and does not own (Redis gives a subscribing connection to subscriptions only):
 * `publisher` publishes (any command connection will do), `subscriber` holds one
 * SUBSCRIBE per channel that has local subscribers, unsubscribing when the last local
 * subscriber returns. `close()` ends every subscription and unsubscribes its channels;
 * the connections stay open for their opener to close (see `backplane/`).
 * Messages carry API-key secrets on `API_KEY_ROTATED:<keyId>`: Redis pubsub keeps
 * nothing, but use `rediss://` (TLS) where the network to Redis is not trusted.
 */
import type { Logger } from '../log/logger.js';
import type { RedisConnection } from '../store/redis.connection.js';
import { channelOf, DEFAULT_MAX_BUFFERED, type PubSub, type Topic, type TopicPayloads } from './pubsub.js';
import { SubscriptionQueue, type TopicSubscription } from './subscription.queue.js';

export interface RedisPubSubOptions {
  /** A connected command client; messages are published on it. Required. */
  publisher: RedisConnection;
  /** A connected client for this pubsub's SUBSCRIBEs alone (Redis allows it no other commands). Required. */
  subscriber: RedisConnection;
  /** Prefix of every channel name, e.g. `usmf:`; lets several facades share one Redis. Default `usmf:live:`. */
  prefix?: string;
  /** Where connection errors and undecodable messages are reported. Default: nowhere. */
  logger?: Logger;
  /** Payloads kept per subscription while its consumer is busy; the oldest is dropped beyond. Default 1000. */
  maxBuffered?: number;
}

interface ChannelState {
  queues: Set<SubscriptionQueue<unknown>>;
  /** Settles when Redis has confirmed the SUBSCRIBE (or failed it). */
  ready: Promise<void>;
}

export function createRedisPubSub(options: RedisPubSubOptions): PubSub {
  const prefix = options.prefix ?? 'usmf:live:';
  const maxBuffered = options.maxBuffered ?? DEFAULT_MAX_BUFFERED;
  const { logger, publisher, subscriber } = options;

  const channels = new Map<string, ChannelState>();
  let closed = false;

  const deliver = (message: string, channel: string) => {
    const state = channels.get(channel);
    if (state === undefined) return;
    let payload: unknown;
    try {
      payload = JSON.parse(message);
    } catch (error) {
      logger?.warn({ err: error, channel }, 'redis pubsub: dropped a message that is not JSON');
      return;
    }
    for (const queue of state.queues) queue.push(structuredClone(payload));
  };

  const release = (channel: string, state: ChannelState, queue: SubscriptionQueue<unknown>) => {
    state.queues.delete(queue);
    if (state.queues.size > 0 || channels.get(channel) !== state) return;
    channels.delete(channel);
    if (closed) return;
    subscriber
      .unsubscribe(channel, deliver)
      .catch((error: unknown) => logger?.warn({ err: error, channel }, 'redis pubsub: unsubscribe failed'));
  };

  return {
    async publish(topic, key, payload) {
      if (closed) throw new Error('This pubsub is closed; publish on the one the facade currently runs with.');
      await publisher.publish(prefix + channelOf(topic, key), JSON.stringify(payload));
    },

    subscribe<T extends Topic>(topic: T, key?: string): TopicSubscription<TopicPayloads[T]> {
      const channel = prefix + channelOf(topic, key);
      let state = channels.get(channel);
      if (state === undefined && !closed) {
        const created: ChannelState = { queues: new Set(), ready: Promise.resolve() };
        created.ready = subscriber.subscribe(channel, deliver).catch((error: unknown) => {
          logger?.error({ err: error, channel }, 'redis pubsub: subscribe failed');
          throw error;
        });
        // A failed SUBSCRIBE is reported through `ready`; keep it from being an unhandled rejection meanwhile.
        created.ready.catch(() => undefined);
        channels.set(channel, created);
        state = created;
      }
      const current = state;
      const queue: SubscriptionQueue<TopicPayloads[T]> = new SubscriptionQueue<TopicPayloads[T]>(
        () => {
          if (current !== undefined) release(channel, current, queue as SubscriptionQueue<unknown>);
        },
        maxBuffered,
        current?.ready,
      );
      if (current === undefined) queue.end();
      else current.queues.add(queue as SubscriptionQueue<unknown>);
      return queue;
    },

    async close() {
      if (closed) return;
      closed = true;
      const subscribed = [...channels.keys()];
      for (const state of [...channels.values()]) for (const queue of [...state.queues]) queue.end();
      channels.clear();
      if (subscribed.length === 0 || !subscriber.isReady) return;
      await subscriber
        .unsubscribe(subscribed, deliver)
        .catch((error: unknown) => logger?.warn({ err: error }, 'redis pubsub: unsubscribe on close failed'));
    },
  };
}
