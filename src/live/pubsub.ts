/**
 * Publish/subscribe for GraphQL subscriptions and for replica-to-replica signals.
 *
 * Contract: a message published on `(topic, key)` reaches every subscription to exactly
 * that `(topic, key)` — in this process for `createMemoryPubSub()`, on every replica for
 * `createRedisPubSub()` (see `redis.pubsub.ts`). A subscription without a key hears only
 * messages published without a key: keys are exact routing, never wildcards, so a
 * payload published for one API key (a new secret) reaches only the subscribers of that
 * key. Delivery is at most once and not persisted: a subscriber that is not yet
 * listening (`await subscription.ready`) or is gone misses the message.
 * Payloads must survive JSON (the Redis pubsub sends JSON), so timestamps are ISO
 * strings, never `Date`s.
 */
import { SubscriptionQueue, type TopicSubscription } from './subscription.queue.js';

/** Every topic, with its payload type in `TopicPayloads`. The value is the wire name. */
export enum Topic {
  /** Keyed by API key id; carries the new secret, so only that key's holders subscribe. */
  ApiKeyRotated = 'API_KEY_ROTATED',
  /** Unkeyed broadcast: a key, or its old secret, stopped working; every replica drops cached auth. */
  ApiKeyRevoked = 'API_KEY_REVOKED',
  /** Keyed by deployment name: alarms of that deployment changed (a label write), so caches drop them. */
  AlarmsChanged = 'ALARMS_CHANGED',
  /** Keyed by a live group's key: what its poll found (a changed page, new alarms) or that it is failing. */
  LiveGroup = 'LIVE_GROUP',
}

export interface ApiKeyRotatedPayload {
  keyId: string;
  /** The complete new key text (`usmf_…`) to present from now on. */
  secret: string;
  /** ISO time until which the previous secret still works; null when it died at once (reset, grace 0). */
  previousValidUntil: string | null;
  /** ISO time of the rotation. */
  rotatedAt: string;
  trigger: 'MANUAL' | 'SCHEDULED' | 'RESET';
}

export interface ApiKeyRevokedPayload {
  keyId: string;
  /**
   * REVOKED, DELETED: the key no longer authenticates at all (close its connections).
   * SECRET_REPLACED: the key still works, but a secret of it stopped working at once
   * (a reset, a rotation without grace, or a rotation that ended a previous grace).
   */
  reason: 'REVOKED' | 'DELETED' | 'SECRET_REPLACED';
}

export interface AlarmsChangedPayload {
  deployment: string;
  alarmIds: string[];
  /** The replica that made the change; it has already refreshed its own caches. */
  origin: string;
}

export interface LiveGroupPayload {
  group: string;
  /** Epoch ms when the poll was answered. */
  polledAt: number;
  /** The hash of `data`'s JSON; replicas deliver each hash once. */
  hash?: string;
  data?: unknown;
  /** Set when the poll failed: subscribers hear it once per outage. */
  error?: { code: string; message: string; deployment?: string };
}

export interface TopicPayloads {
  [Topic.ApiKeyRotated]: ApiKeyRotatedPayload;
  [Topic.ApiKeyRevoked]: ApiKeyRevokedPayload;
  [Topic.AlarmsChanged]: AlarmsChangedPayload;
  [Topic.LiveGroup]: LiveGroupPayload;
}

export const TOPICS: readonly Topic[] = Object.values(Topic);

export interface PubSub {
  /** `key` routes to the subscribers of that key only; `undefined` publishes to the topic's unkeyed subscribers. */
  publish<T extends Topic>(topic: T, key: string | undefined, payload: TopicPayloads[T]): Promise<void>;
  subscribe<T extends Topic>(topic: T, key?: string): TopicSubscription<TopicPayloads[T]>;
  /** Ends every open subscription and releases connections; publishing afterwards throws. */
  close(): Promise<void>;
}

export interface MemoryPubSubOptions {
  /** Payloads kept per subscription while its consumer is busy; the oldest is dropped beyond. Default 1000. */
  maxBuffered?: number;
}

export const DEFAULT_MAX_BUFFERED = 1000;

/** The channel name of `(topic, key)`; keys may contain anything but are kept apart by the separator. */
export function channelOf(topic: Topic, key: string | undefined): string {
  return key === undefined ? topic : `${topic}:${key}`;
}

export function createMemoryPubSub(options: MemoryPubSubOptions = {}): PubSub {
  const maxBuffered = options.maxBuffered ?? DEFAULT_MAX_BUFFERED;
  const channels = new Map<string, Set<SubscriptionQueue<unknown>>>();
  let closed = false;

  return {
    async publish(topic, key, payload) {
      if (closed) throw new Error('This pubsub is closed; publish on the one the facade currently runs with.');
      // Each subscriber gets its own copy, as it would from Redis: no shared mutable payloads.
      const json = JSON.stringify(payload);
      for (const queue of channels.get(channelOf(topic, key)) ?? []) queue.push(JSON.parse(json));
    },

    subscribe<T extends Topic>(topic: T, key?: string): TopicSubscription<TopicPayloads[T]> {
      const channel = channelOf(topic, key);
      const queues = channels.get(channel) ?? new Set<SubscriptionQueue<unknown>>();
      channels.set(channel, queues);
      const queue: SubscriptionQueue<TopicPayloads[T]> = new SubscriptionQueue<TopicPayloads[T]>(() => {
        queues.delete(queue as SubscriptionQueue<unknown>);
        if (queues.size === 0 && channels.get(channel) === queues) channels.delete(channel);
      }, maxBuffered);
      if (closed) queue.end();
      else queues.add(queue as SubscriptionQueue<unknown>);
      return queue;
    },

    async close() {
      closed = true;
      for (const queues of [...channels.values()]) for (const queue of [...queues]) queue.end();
      channels.clear();
    },
  };
}
