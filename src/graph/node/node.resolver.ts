/**
 * Relay refetching: `node(id)` and `nodes(ids)` for every `Node` type, through the same
 * batched loaders as everything else (so `nodes` of 50 alarms is one batch).
 */
import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import { FacadeError } from '../../errors/facade.error.js';
import type { GraphContext } from '../context.js';
import { loadAlarm } from '../alarm/alarm.resolver.js';
import { findDeployment } from '../deployment/deployment.resolver.js';
import { loadEvent } from '../event/event.resolver.js';
import { decodeGlobalId } from './global.id.js';
import { Node } from './node.type.js';

export const MAX_NODES = 100;

async function loadNode(ctx: GraphContext, id: string): Promise<Node | null> {
  const { type, parts } = decodeGlobalId(id);
  switch (type) {
    case 'Alarm':
      return loadAlarm(ctx, id);
    case 'Event':
      return loadEvent(ctx, id);
    case 'Deployment':
      return findDeployment(ctx, parts[0]!);
  }
}

@Resolver()
export class NodeResolver {
  // No @rateLimit: one batched, cached lookup (which fields are limited, and why: rate-limit.directive.ts).
  @Query(() => Node, { nullable: true, description: 'Any object by its global ID; null when it no longer exists.' })
  node(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphContext): Promise<Node | null> {
    return loadNode(ctx, id);
  }

  @Query(() => [Node], {
    nullable: 'items',
    description: `Many objects by global ID (at most ${MAX_NODES}), in the order asked; null for each that no longer exists.`,
  })
  nodes(@Arg('ids', () => [ID]) ids: string[], @Ctx() ctx: GraphContext): Promise<Array<Node | null>> {
    if (ids.length > MAX_NODES) {
      throw new FacadeError('BAD_USER_INPUT', `nodes takes at most ${MAX_NODES} ids, got ${ids.length}; ask in chunks`, {
        details: { argument: 'ids' },
      });
    }
    ids.forEach((id) => decodeGlobalId(id));
    return Promise.all(ids.map((id) => loadNode(ctx, id)));
  }
}
