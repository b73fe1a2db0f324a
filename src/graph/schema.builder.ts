/**
 * Builds the facade's schema as an Apollo Federation v2 subgraph.
 *
 * Contract: `buildFacadeSchema()` returns the executable subgraph schema and its SDL
 * as the supergraph sees it (`_service { sdl }`), which is what `schema/schema.graphql`
 * holds. type-graphql's own SDL printer drops applied directives (`@key`), so the SDL
 * is printed with `printSchemaWithDirectives` and the subgraph is built from it with
 * the resolvers type-graphql generated (`createResolversMap`) plus the federation
 * reference resolvers. The SDL carries `@rateLimit` with its defaults; each facade binds
 * the limits to a store of its own (`protectSchema` in `src/protection/`), so the schema
 * built here never counts anything.
 *
 * The SDL built here carries no `@cost`: weights depend on the upstreams each facade
 * has, so each facade answers `_service` with its own (`withServedSdl`, given the SDL
 * from `servedSdl` in `cost.directives.ts`), and `schema/schema.graphql` holds the one
 * `npm start` serves (`schema.file.ts`).
 *
 * Every object type is declared with `simpleResolvers: true`: the schema has no field
 * middleware, so a plain field is read as a property (graphql-jit inlines the read)
 * instead of going through a type-graphql wrapper per field and per item.
 */
import 'reflect-metadata';
import { buildSchemaSync, createResolversMap } from 'type-graphql';
import { lexicographicSortSchema, parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import { mapSchema, MapperKind, printSchemaWithDirectives } from '@graphql-tools/utils';
import { buildSubgraphSchema, printSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { bindFieldResolvers } from './field.binder.js';
import { DeploymentResolver, resolveDeploymentReference } from './deployment/deployment.resolver.js';
import { AlarmResolver, loadAlarm } from './alarm/alarm.resolver.js';
import { AlarmLiveResolver } from './alarm/alarm-live.resolver.js';
import { EventResolver, loadEvent } from './event/event.resolver.js';
import { NodeResolver } from './node/node.resolver.js';
import { ApiKeyResolver } from './apikey/apikey.resolver.js';
import { CredentialResolver } from './credential/credential.resolver.js';
import type { GraphContext } from './context.js';
import { RATE_LIMIT_TYPE_DEFS } from '../protection/rate-limit.directive.js';

/**
 * Federation v2 spec version and the directives this subgraph uses: v2.9 is the first
 * with `@cost` and `@listSize` (the IBM cost directives routers enforce demand control
 * with; `src/graph/cost.directives.ts` applies them per facade).
 */
const FEDERATION_LINK = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@shareable", "@cost", "@listSize"])`;

export interface FacadeSchema {
  schema: GraphQLSchema;
  /** The subgraph SDL, with federation directives. */
  sdl: string;
}

let built: FacadeSchema | undefined;

/**
 * type-graphql insists on a global pubsub, but the schema is built once per process and
 * each facade (tests run several) has its own: every subscription declares `subscribe`
 * and takes the pubsub from its context. This one only fails loudly if that is forgotten.
 */
const CONTEXT_PUBSUB_ONLY = {
  publish(): never {
    throw new Error('Publish through the GraphContext pubsub, not type-graphql’s');
  },
  subscribe(): never {
    throw new Error('A @Subscription must declare `subscribe` and use the GraphContext pubsub');
  },
};

/** Builds once per process: type-graphql keeps its metadata globally. */
export function buildFacadeSchema(): FacadeSchema {
  if (built !== undefined) return built;
  const typeGraphqlSchema = buildSchemaSync({
    resolvers: [AlarmResolver, AlarmLiveResolver, EventResolver, DeploymentResolver, NodeResolver, ApiKeyResolver, CredentialResolver],
    validate: false,
    pubSub: CONTEXT_PUBSUB_ONLY,
  });
  // type-graphql prints `@rateLimit` where resolvers apply it but knows no definition of it.
  const typeDefs: DocumentNode = parse(
    `${printSchemaWithDirectives(lexicographicSortSchema(typeGraphqlSchema))}\n${RATE_LIMIT_TYPE_DEFS}\n${FEDERATION_LINK}\n`,
  );
  const resolvers: Record<string, unknown> = { ...createResolversMap(typeGraphqlSchema) };
  for (const [type, fields] of Object.entries(bindFieldResolvers())) {
    const existing = resolvers[type] as Record<string, unknown> | undefined;
    for (const field of Object.keys(fields)) {
      if (existing?.[field] === undefined) throw new Error(`bindFieldResolvers bound ${type}.${field}, which the schema does not resolve`);
    }
    resolvers[type] = { ...existing, ...fields };
  }
  // Entities resolve references through the same batched loaders as every query.
  const references: Record<string, (reference: { id: string }, ctx: GraphContext) => Promise<unknown>> = {
    Alarm: (reference, ctx) => loadAlarm(ctx, reference.id),
    Event: (reference, ctx) => loadEvent(ctx, reference.id),
    Deployment: resolveDeploymentReference,
  };
  for (const [type, resolveReference] of Object.entries(references)) {
    resolvers[type] = { ...(resolvers[type] as object), __resolveReference: resolveReference };
  }
  const schema = buildSubgraphSchema({ typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> });
  built = { schema, sdl: printSubgraphSchema(schema) };
  return built;
}

/**
 * `schema` whose `Query._service` answers `sdl()` (read on each request) instead of the
 * SDL it was built with; the schema given is left as it is, since the process shares it.
 */
export function withServedSdl(schema: GraphQLSchema, sdl: () => string): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.QUERY_ROOT_FIELD]: (field, fieldName) => (fieldName === '_service' ? { ...field, resolve: () => ({ sdl: sdl() }) } : field),
  });
}
