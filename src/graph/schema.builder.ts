/**
 * Builds the facade's schema as an Apollo Federation v2 subgraph.
 *
 * Contract: `buildFacadeSchema()` returns the executable subgraph schema and its SDL
 * as the supergraph sees it (`_service { sdl }`), which is what `schema/schema.graphql`
 * holds. type-graphql's own SDL printer drops applied directives (`@key`), so the SDL
 * is printed with `printSchemaWithDirectives` and the subgraph is built from it with
 * the resolvers type-graphql generated (`createResolversMap`) plus the federation
 * reference resolvers.
 */
import 'reflect-metadata';
import { buildSchemaSync, createResolversMap } from 'type-graphql';
import { lexicographicSortSchema, parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { buildSubgraphSchema, printSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { DeploymentResolver, resolveDeploymentReference } from './deployment/deployment.resolver.js';

/** Federation v2 spec version and the directives this subgraph uses. */
const FEDERATION_LINK = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])`;

export interface FacadeSchema {
  schema: GraphQLSchema;
  /** The subgraph SDL, with federation directives. */
  sdl: string;
}

let built: FacadeSchema | undefined;

/** Builds once per process: type-graphql keeps its metadata globally. */
export function buildFacadeSchema(): FacadeSchema {
  if (built !== undefined) return built;
  const typeGraphqlSchema = buildSchemaSync({
    resolvers: [DeploymentResolver],
    validate: false,
  });
  const typeDefs: DocumentNode = parse(
    `${printSchemaWithDirectives(lexicographicSortSchema(typeGraphqlSchema))}\n${FEDERATION_LINK}\n`,
  );
  const resolvers = createResolversMap(typeGraphqlSchema) as GraphQLResolverMap<unknown>;
  const schema = buildSubgraphSchema({
    typeDefs,
    resolvers: {
      ...resolvers,
      Deployment: {
        ...(resolvers['Deployment'] as object),
        __resolveReference: resolveDeploymentReference,
      },
    } as GraphQLResolverMap<unknown>,
  });
  built = { schema, sdl: printSubgraphSchema(schema) };
  return built;
}
