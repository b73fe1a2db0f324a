/**
 * Executes queries and mutations with graphql-jit: each operation is compiled once into
 * a function specialised for its selection, then run per request. A 50-alarm page with
 * events resolves about 2,500 fields; graphql-js walks them generically, the compiled
 * function does not (see the `schema` bench case).
 *
 * Contract:
 * - Same results and errors as graphql-js for the same schema, document and variables
 *   (the whole test suite runs through it); resolvers, scalars and abstract types are
 *   the schema's own.
 * - Apollo Server 5's only seam for an executor is its gateway interface, so this is
 *   one: `load()` hands Apollo the schema and the executor. Apollo still parses,
 *   validates, runs every plugin hook and formats errors; only execution moves here.
 *   Per-field plugin hooks (`willResolveField`) do not fire; the facade has none
 *   (cache control is disabled, inline traces are not offered).
 * - Compiled operations are kept per parsed document (Apollo keeps parsed documents in
 *   its own LRU store), so a repeated query is compiled once and a forgotten document
 *   takes its compiled code with it.
 * - Variables are checked by graphql-js first, so a bad variable gets graphql-js's
 *   error, which Apollo answers as BAD_USER_INPUT with HTTP 400.
 * - Errors come back as graphql-js `GraphQLError`s (graphql-jit's own lack the
 *   `extensions` object Apollo's error formatting reads), with path, locations and
 *   original error kept.
 * - Subscriptions do not come here: graphql-ws executes them with graphql-js.
 */
import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import { GraphQLError, getVariableValues, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';

/** A compiled operation, or the errors that stopped its compilation. */
type Compiled = CompiledQuery | ExecutionResult;

export function jitExecutor(schema: GraphQLSchema): GatewayExecutor {
  const compiledByDocument = new WeakMap<DocumentNode, Map<string, Compiled>>();

  function compiledFor(document: DocumentNode, operationName: string | null): Compiled {
    let byName = compiledByDocument.get(document);
    if (byName === undefined) {
      byName = new Map();
      compiledByDocument.set(document, byName);
    }
    const key = operationName ?? '';
    let compiled = byName.get(key);
    if (compiled === undefined) {
      // Leaf values are serialised by the schema's scalars, as graphql-js does.
      compiled = compileQuery<Record<string, unknown>>(schema, document, operationName ?? undefined, { disableLeafSerialization: false });
      byName.set(key, compiled);
    }
    return compiled;
  }

  return async (requestContext) => {
    const variables = requestContext.request.variables ?? {};
    const coerced = getVariableValues(schema, requestContext.operation.variableDefinitions ?? [], variables);
    if (coerced.errors !== undefined) return { errors: coerced.errors };
    const compiled = compiledFor(requestContext.document, requestContext.operationName);
    // Compilation errors are graphql-js's own already; only execution errors are graphql-jit's.
    if (!isCompiledQuery(compiled)) return compiled;
    const result = await compiled.query(undefined, requestContext.context, variables);
    return result.errors === undefined ? result : { ...result, errors: result.errors.map(asGraphqlJsError) };
  };
}

function asGraphqlJsError(error: GraphQLError): GraphQLError {
  const converted = new GraphQLError(error.message, {
    path: error.path,
    originalError: error.originalError ?? undefined,
    extensions: error.extensions,
  });
  // graphql-js derives locations from AST nodes, which graphql-jit does not keep: copy them.
  (converted as { locations: GraphQLError['locations'] }).locations = error.locations;
  return converted;
}

/** The gateway Apollo Server is given instead of a schema: it serves `schema` with `jitExecutor`. */
export function jitGateway(schema: GraphQLSchema, sdl: string): GatewayInterface {
  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: sdl });
      return () => {};
    },
    async load() {
      return { executor: jitExecutor(schema) };
    },
    async stop() {},
  };
}
