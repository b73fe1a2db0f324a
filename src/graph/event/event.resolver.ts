/** Event queries and the deployment of an event. */
import { Arg, Args, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import type { GraphContext } from '../context.js';
import { ConnectionArgsType } from '../connection/connection.args.js';
import type { ConnectionShape } from '../connection/connection.type.js';
import { Deployment } from '../deployment/deployment.type.js';
import { deploymentNamed } from '../deployment/deployment.resolver.js';
import { toEvent } from '../alarm/alarm.mapper.js';
import { decodeGlobalId } from '../node/global.id.js';
import { EventConnection, eventConnection } from './event.connection.js';
import { EventFilter } from './event.inputs.js';
import { Event } from './event.type.js';

/** An event by global ID, or null when its deployment does not know it. */
export async function loadEvent(ctx: GraphContext, id: string): Promise<Event | null> {
  const [deployment, uuid] = decodeGlobalId(id, ['Event']).parts as [string, string];
  const doc = await ctx.loaders.event(deployment, uuid);
  return doc === null ? null : toEvent(doc);
}

@Resolver(() => Event)
export class EventResolver {
  @Query(() => EventConnection, {
    description: 'Events of one deployment, or of every readable deployment when omitted, newest first.',
  })
  events(
    @Arg('deployment', () => String, { nullable: true, description: 'A deployment name; omit for all.' })
    deployment: string | null,
    @Args(() => ConnectionArgsType) args: ConnectionArgsType,
    @Arg('filter', () => EventFilter, { nullable: true }) filter: EventFilter | null,
    @Ctx() ctx: GraphContext,
  ): Promise<ConnectionShape<Event>> {
    return eventConnection(ctx, { deployment: deployment ?? undefined, args, filter });
  }

  // No @rateLimit: one batched, cached lookup (which fields are limited, and why: rate-limit.directive.ts).
  @Query(() => Event, { nullable: true, description: 'One event by its ID; null when its deployment does not know it.' })
  event(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphContext): Promise<Event | null> {
    return loadEvent(ctx, id);
  }

  @FieldResolver(() => Deployment, { description: 'The deployment that recorded the event.' })
  deployment(@Root() event: Event, @Ctx() ctx: GraphContext): Deployment | Promise<Deployment> {
    return deploymentNamed(ctx, event.deploymentName);
  }
}
