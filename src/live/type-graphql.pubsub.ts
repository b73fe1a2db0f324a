/**
 * The facade's `PubSub` in the shape type-graphql's `buildSchema({ pubSub })` expects.
 *
 * Contract: `subscribe(routingKey, dynamicId)` is what type-graphql calls for
 * `@Subscription({ topics, topicId })`: `routingKey` must be a `Topic` value and
 * `dynamicId` (the result of `topicId`, e.g. the calling key's id) becomes the routing
 * key, so `topicId: ({ context }) => context.apiKey.id` delivers a key's new secret to
 * that key's connections only. `publish(topic, payload)` publishes unkeyed,
 * `publish(topic, key, payload)` keyed. An unknown topic throws at once, naming the
 * allowed ones, rather than subscribing to a channel nobody publishes on.
 */
import type { PubSub as TypeGraphqlPubSub } from 'type-graphql';
import type { Logger } from '../log/logger.js';
import { TOPICS, type PubSub, type Topic } from './pubsub.js';

export interface TypeGraphqlPubSubOptions {
  /** Where a failed publish is reported (type-graphql's `publish` cannot return it). Default: nowhere. */
  logger?: Logger;
}

function topicOf(routingKey: string): Topic {
  if (!(TOPICS as readonly string[]).includes(routingKey)) {
    throw new Error(`Unknown pubsub topic ${JSON.stringify(routingKey)}; use one of ${TOPICS.join(', ')} (the Topic enum).`);
  }
  return routingKey as Topic;
}

function keyOf(dynamicId: unknown): string | undefined {
  if (dynamicId === undefined || dynamicId === null) return undefined;
  if (typeof dynamicId === 'string' || typeof dynamicId === 'number') return String(dynamicId);
  throw new Error(`A subscription's topicId must give a string or number, not ${typeof dynamicId}.`);
}

export function toTypeGraphqlPubSub(pubsub: PubSub, options: TypeGraphqlPubSubOptions = {}): TypeGraphqlPubSub {
  return {
    publish(routingKey: string, ...args: unknown[]): void {
      const topic = topicOf(routingKey);
      if (args.length !== 1 && args.length !== 2) {
        throw new Error('publish(topic, payload) or publish(topic, key, payload), nothing else.');
      }
      const [key, payload] = args.length === 1 ? [undefined, args[0]] : [keyOf(args[0]), args[1]];
      pubsub
        .publish(topic, key, payload as never)
        .catch((error: unknown) => options.logger?.error({ err: error, topic }, 'pubsub publish failed'));
    },
    subscribe(routingKey: string, dynamicId?: unknown): AsyncIterable<unknown> {
      return pubsub.subscribe(topicOf(routingKey), keyOf(dynamicId));
    },
  };
}
