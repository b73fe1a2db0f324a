/**
 * Apollo Gateway (`@apollo/gateway`) in front of the facade, inside an Apollo Server 5 of
 * the test process: Apollo's JavaScript router, beside Hive Gateway and Grafbase.
 *
 * `composeApolloSupergraph` composes subgraphs with Apollo's composition
 * (`@apollo/composition`, what Rover and GraphOS use) and throws with every error;
 * its hints are returned for the caller to judge. `startApolloGateway` serves a
 * supergraph on an ephemeral port of 127.0.0.1 with one `RemoteGraphQLDataSource` per
 * subgraph, forwarding the client's `authorization` header and nothing else;
 * `subgraphHeaders` are set on every subgraph request besides (default: none, so the
 * data source's own defaults go out: minipass-fetch's wildcard Accept among them). Queries and
 * mutations only: Apollo Gateway does not do subscriptions. `stop()` stops the server
 * and the gateway.
 */
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { composeServices, type CompositionSuccess } from '@apollo/composition';
import { parse } from 'graphql';
import type { Subgraph } from '../../src/graph/supergraph.file.js';

/** A hint of Apollo's composition (its class is not exported by the package's index). */
export type CompositionHint = CompositionSuccess['hints'][number];

export interface ApolloSupergraph {
  supergraphSdl: string;
  hints: readonly CompositionHint[];
}

export function composeApolloSupergraph(subgraphs: readonly Subgraph[]): ApolloSupergraph {
  const result = composeServices(subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) })));
  if (result.errors !== undefined) {
    throw new Error(`composition failed:\n${result.errors.map((error) => error.message).join('\n')}`);
  }
  return { supergraphSdl: result.supergraphSdl, hints: result.hints };
}

/** What the gateway keeps of the client's request for its subgraph requests. */
interface ClientContext {
  authorization?: string;
}

export interface RunningApolloGateway {
  /** e.g. http://127.0.0.1:41234/ */
  url: string;
  stop(): Promise<void>;
}

export async function startApolloGateway(options: {
  supergraphSdl: string;
  subgraphHeaders?: Record<string, string>;
}): Promise<RunningApolloGateway> {
  const subgraphHeaders = Object.entries(options.subgraphHeaders ?? {});
  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl,
    buildService: ({ url }) =>
      new RemoteGraphQLDataSource<ClientContext>({
        url,
        willSendRequest({ request, context }) {
          for (const [name, value] of subgraphHeaders) request.http!.headers.set(name, value);
          if (context.authorization !== undefined) request.http!.headers.set('authorization', context.authorization);
        },
      }),
  });
  // Stack traces off: NODE_ENV is unset under node --test, and Apollo would add them to every error.
  const server = new ApolloServer<ClientContext>({ gateway, includeStacktraceInErrorResponses: false });
  const { url } = await startStandaloneServer(server, {
    listen: { port: 0, host: '127.0.0.1' },
    context: async ({ req }) => (req.headers.authorization === undefined ? {} : { authorization: req.headers.authorization }),
  });
  return { url, stop: () => server.stop() };
}
