/**
 * Queries over deployments, each deployment's alarm and event connections, and the
 * federation reference resolver for `Deployment`.
 */
import { Arg, Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { GraphContext } from '../context.js';
import { decodeGlobalId } from '../node/global.id.js';
import { ConnectionArgsType } from '../connection/connection.args.js';
import type { ConnectionShape } from '../connection/connection.type.js';
import { AlarmConnection, alarmConnection } from '../alarm/alarm.connection.js';
import { AlarmFilter, AlarmOrder } from '../alarm/alarm.inputs.js';
import type { Alarm } from '../alarm/alarm.type.js';
import { EventConnection, eventConnection } from '../event/event.connection.js';
import { EventFilter } from '../event/event.inputs.js';
import type { Event } from '../event/event.type.js';
import type { DeploymentInfo } from '../../upstream/upstream.registry.js';
import { Deployment } from './deployment.type.js';

@Resolver(() => Deployment)
export class DeploymentResolver {
  // No @rateLimit on these two: a cached list (which fields are limited, and why: rate-limit.directive.ts).
  @Query(() => [Deployment], {
    description: 'Every deployment the facade knows of: from USM Central when configured, and the configured ones.',
  })
  async deployments(@Ctx() ctx: GraphContext): Promise<Deployment[]> {
    return (await ctx.loaders.deployments()).map((info) => Deployment.from(info));
  }

  @Query(() => Deployment, { nullable: true, description: 'One deployment by its short name; null when unknown.' })
  async deployment(@Arg('name', () => String) name: string, @Ctx() ctx: GraphContext): Promise<Deployment | null> {
    return findDeployment(ctx, name);
  }

  // No @rateLimit below a root field: under `deployments` it would count once per deployment.
  @FieldResolver(() => AlarmConnection, { description: 'This deployment’s alarms; see `Query.alarms`.' })
  alarms(
    @Root() deployment: Deployment,
    @Args(() => ConnectionArgsType) args: ConnectionArgsType,
    @Arg('filter', () => AlarmFilter, { nullable: true }) filter: AlarmFilter | null,
    @Arg('orderBy', () => AlarmOrder, { nullable: true }) orderBy: AlarmOrder | null,
    @Ctx() ctx: GraphContext,
  ): Promise<ConnectionShape<Alarm>> {
    return alarmConnection(ctx, { deployment: deployment.name, args, filter, orderBy });
  }

  @FieldResolver(() => EventConnection, { description: 'This deployment’s events; see `Query.events`.' })
  events(
    @Root() deployment: Deployment,
    @Args(() => ConnectionArgsType) args: ConnectionArgsType,
    @Arg('filter', () => EventFilter, { nullable: true }) filter: EventFilter | null,
    @Ctx() ctx: GraphContext,
  ): Promise<ConnectionShape<Event>> {
    return eventConnection(ctx, { deployment: deployment.name, args, filter });
  }
}

export async function findDeployment(ctx: GraphContext, name: string): Promise<Deployment | null> {
  return deploymentIn(await ctx.loaders.deployments(), name);
}

function deploymentIn(list: readonly DeploymentInfo[], name: string): Deployment | null {
  const info = list.find((d) => d.name === name);
  return info === undefined ? null : Deployment.from(info);
}

/** Per request: a page of 50 alarms of one deployment resolves one `Deployment`, not 50. */
const deploymentsByRequest = new WeakMap<GraphContext, Map<string, Deployment | Promise<Deployment>>>();

/**
 * The deployment an alarm or event belongs to; known by name even when no list mentions
 * it. Answered at once, not as a promise, when the deployment list is already at hand
 * (a page's alarms then resolve without a promise each).
 */
export function deploymentNamed(ctx: GraphContext, name: string): Deployment | Promise<Deployment> {
  let byName = deploymentsByRequest.get(ctx);
  if (byName === undefined) {
    byName = new Map();
    deploymentsByRequest.set(ctx, byName);
  }
  let deployment = byName.get(name);
  if (deployment === undefined) {
    const orUnlisted = (found: Deployment | null) => found ?? Deployment.from({ name, hasCredentials: false });
    const list = ctx.loaders.deploymentsNow();
    if (list !== undefined) {
      deployment = orUnlisted(deploymentIn(list, name));
    } else {
      const settled = byName;
      deployment = findDeployment(ctx, name).then((found) => {
        const answer = orUnlisted(found);
        settled.set(name, answer);
        return answer;
      });
    }
    byName.set(name, deployment);
  }
  return deployment;
}

/** Federation: resolves `{ __typename: "Deployment", id }` references from other subgraphs. */
export async function resolveDeploymentReference(
  reference: { id: string },
  ctx: GraphContext,
): Promise<Deployment | null> {
  const [name] = decodeGlobalId(reference.id, ['Deployment']).parts;
  return findDeployment(ctx, name!);
}
