/**
 * Queries over deployments, and the federation reference resolver for `Deployment`.
 */
import { Arg, Ctx, Query, Resolver } from 'type-graphql';
import type { GraphContext } from '../context.js';
import { decodeGlobalId } from '../node/global.id.js';
import { Deployment } from './deployment.type.js';

@Resolver(() => Deployment)
export class DeploymentResolver {
  @Query(() => [Deployment], {
    description: 'Every deployment the facade knows of: from USM Central when configured, and the configured ones.',
  })
  async deployments(@Ctx() ctx: GraphContext): Promise<Deployment[]> {
    return (await ctx.deployments.listDeployments()).map((record) => Deployment.from(record));
  }

  @Query(() => Deployment, { nullable: true, description: 'One deployment by its short name; null when unknown.' })
  async deployment(@Arg('name', () => String) name: string, @Ctx() ctx: GraphContext): Promise<Deployment | null> {
    return findDeployment(ctx, name);
  }
}

async function findDeployment(ctx: GraphContext, name: string): Promise<Deployment | null> {
  const record = (await ctx.deployments.listDeployments()).find((d) => d.name === name);
  return record === undefined ? null : Deployment.from(record);
}

/** Federation: resolves `{ __typename: "Deployment", id }` references from other subgraphs. */
export async function resolveDeploymentReference(
  reference: { id: string },
  ctx: GraphContext,
): Promise<Deployment | null> {
  const [name] = decodeGlobalId(reference.id, ['Deployment']).parts;
  return findDeployment(ctx, name!);
}
