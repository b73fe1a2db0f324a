import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import type { GraphQLObjectType, GraphQLResolveInfo } from 'graphql';
import { buildFacadeSchema } from '../../src/graph/schema.builder.js';
import { bindFieldResolvers } from '../../src/graph/field.binder.js';
import { AlarmResolver } from '../../src/graph/alarm/alarm.resolver.js';
import { Alarm } from '../../src/graph/alarm/alarm.type.js';
import { ConnectionArgsType } from '../../src/graph/connection/connection.args.js';

const { schema } = buildFacadeSchema();
const info = {} as GraphQLResolveInfo;

describe('bindFieldResolvers', () => {
  it('binds the per-item field resolvers and leaves those with input-object arguments to type-graphql', () => {
    const bound = bindFieldResolvers();
    assert.deepEqual(Object.keys(bound.Alarm ?? {}).sort(), ['deployment', 'events']);
    assert.deepEqual(Object.keys(bound.Event ?? {}), ['deployment']);
    assert.deepEqual(Object.keys(bound.AlarmConnection ?? {}), ['totalCount']);
    assert.equal(bound.Deployment, undefined, 'Deployment.alarms takes an AlarmFilter, which only type-graphql converts');
  });

  it('is what the served schema resolves with: the method runs without type-graphql on the stack', () => {
    let stack = '';
    const events = mock.method(AlarmResolver.prototype, 'events', () => {
      stack = new Error().stack ?? '';
      return 'answered';
    });
    try {
      const field = (schema.getType('Alarm') as GraphQLObjectType).getFields().events!;
      assert.equal(field.resolve!(new Alarm(), { first: 1 }, {}, info), 'answered');
      assert.equal(events.mock.callCount(), 1);
      assert.doesNotMatch(stack, /node_modules\/type-graphql/);
    } finally {
      events.mock.restore();
    }
  });

  it('calls the method with what type-graphql would pass: its root class and an args instance of the declared fields only', () => {
    const events = mock.method(AlarmResolver.prototype, 'events', () => 'answered');
    try {
      const resolve = bindFieldResolvers().Alarm!.events!;
      const root = { id: 'QWxhcm0', uuid: 'a1' };
      assert.equal(resolve(root, { first: 2, after: 'c', stray: true }, {}, info), 'answered');
      const [receivedRoot, receivedArgs] = events.mock.calls[0]!.arguments as unknown as [unknown, unknown];
      assert.ok(receivedRoot instanceof Alarm, 'a plain root becomes an Alarm');
      assert.deepEqual([(receivedRoot as Alarm).id, (receivedRoot as Alarm).uuid], [root.id, root.uuid]);
      assert.ok(receivedArgs instanceof ConnectionArgsType);
      assert.deepEqual(Object.entries(receivedArgs as object).filter(([, value]) => value !== undefined), [['first', 2], ['after', 'c']]);

      const instance = Object.assign(new Alarm(), root);
      resolve(instance, {}, {}, info);
      assert.equal(events.mock.calls[1]!.arguments[0], instance, 'an Alarm root is passed as is');
    } finally {
      events.mock.restore();
    }
  });
});
