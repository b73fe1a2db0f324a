import 'reflect-metadata';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryPubSub, Topic } from '../../src/live/pubsub.js';
import { toTypeGraphqlPubSub } from '../../src/live/type-graphql.pubsub.js';

describe('toTypeGraphqlPubSub', () => {
  it("subscribes on the topic keyed by type-graphql's topicId, so each key hears only its own messages", async () => {
    const pubsub = createMemoryPubSub();
    const adapter = toTypeGraphqlPubSub(pubsub);
    const forK1 = adapter.subscribe(Topic.ApiKeyRotated, 'k1')[Symbol.asyncIterator]();
    const forK2 = adapter.subscribe(Topic.ApiKeyRotated, 'k2')[Symbol.asyncIterator]();
    const payload = { keyId: 'k1', secret: 's', previousValidUntil: null, rotatedAt: '2025-03-01T08:00:00.000Z', trigger: 'MANUAL' };
    await pubsub.publish(Topic.ApiKeyRotated, 'k1', payload as never);
    assert.deepEqual((await forK1.next()).value, payload);
    await pubsub.close();
    assert.deepEqual(await forK2.next(), { value: undefined, done: true });
  });

  it('publishes unkeyed with (topic, payload) and keyed with (topic, key, payload)', async () => {
    const pubsub = createMemoryPubSub();
    const adapter = toTypeGraphqlPubSub(pubsub);
    const unkeyed = pubsub.subscribe(Topic.AlarmsChanged);
    const keyed = pubsub.subscribe(Topic.AlarmsChanged, 'acme');
    adapter.publish(Topic.AlarmsChanged, { deployment: 'all', alarmIds: [], origin: 'replica-1' });
    adapter.publish(Topic.AlarmsChanged, 'acme', { deployment: 'acme', alarmIds: ['a1'], origin: 'replica-1' });
    assert.deepEqual((await unkeyed.next()).value, { deployment: 'all', alarmIds: [], origin: 'replica-1' });
    assert.deepEqual((await keyed.next()).value, { deployment: 'acme', alarmIds: ['a1'], origin: 'replica-1' });
    await pubsub.close();
  });

  it('refuses a topic that is not in the Topic enum, naming the allowed ones', () => {
    const adapter = toTypeGraphqlPubSub(createMemoryPubSub());
    assert.throws(() => adapter.subscribe('apiKeyRotated'), /Unknown pubsub topic "apiKeyRotated"; use one of API_KEY_ROTATED, API_KEY_REVOKED, ALARMS_CHANGED/);
    assert.throws(() => adapter.publish('NOPE', {}), /Unknown pubsub topic "NOPE"/);
  });
});

describe('toTypeGraphqlPubSub in a type-graphql schema', () => {
  it('delivers a rotation to the subscription whose topicId is the calling key, and to no other', async () => {
    const { buildSchema, Field, ObjectType, Query, Resolver, Root, Subscription } = await import('type-graphql');
    const { parse, subscribe } = await import('graphql');

    @ObjectType()
    class RotatedKey {
      @Field()
      keyId!: string;

      @Field()
      secret!: string;
    }

    @Resolver()
    class RotationResolver {
      @Query(() => String)
      ping(): string {
        return 'pong';
      }

      @Subscription(() => RotatedKey, {
        topics: Topic.ApiKeyRotated,
        topicId: ({ context }: { context: { keyId: string } }) => context.keyId,
      })
      apiKeyRotated(@Root() payload: RotatedKey): RotatedKey {
        return payload;
      }
    }

    const pubsub = createMemoryPubSub();
    const schema = await buildSchema({ resolvers: [RotationResolver], pubSub: toTypeGraphqlPubSub(pubsub), validate: false });
    const document = parse('subscription { apiKeyRotated { keyId secret } }');
    const open = async (keyId: string) => {
      const result = await subscribe({ schema, document, contextValue: { keyId } });
      assert.ok(Symbol.asyncIterator in result, JSON.stringify(result));
      return result;
    };
    const k1 = await open('k1');
    const k2 = await open('k2');
    const payload = { keyId: 'k1', secret: 'usmf_new', previousValidUntil: null, rotatedAt: '2025-03-01T08:00:00.000Z', trigger: 'MANUAL' as const };
    await pubsub.publish(Topic.ApiKeyRotated, 'k1', payload);
    assert.deepEqual(JSON.parse(JSON.stringify((await k1.next()).value)), { data: { apiKeyRotated: { keyId: 'k1', secret: 'usmf_new' } } });
    await pubsub.close();
    assert.deepEqual(await k2.next(), { value: undefined, done: true }, 'k2 had nothing waiting');
    await k1.return?.();
  });
});
