/**
 * Hive Gateway in front of the facade: `hive-gateway supergraph supergraph.graphql -c gateway.config.ts`.
 * The project's tests run the gateway with this very file (test/federation/hive.gateway.ts).
 *
 * - The client's key reaches the facade on every path: `authorization` is propagated on
 *   queries and mutations (HTTP), and sent in `connection_init` on subscriptions, which
 *   the gateway forwards to the facade over graphql-ws (`kind: 'ws'`). Clients of the
 *   gateway send `Authorization: Bearer usmf_…` over HTTP and SSE, or `authorization` in
 *   their own `connection_init` over WebSocket (the gateway reads both as headers).
 * - The gateway opens one WebSocket to the facade per distinct key and multiplexes every
 *   subscription of that key onto it; the facade limits subscriptions per key
 *   (`LIVE_MAX_SUBSCRIPTIONS_PER_KEY`, on every replica together), never per connection.
 * - Demand control reads the facade's `@cost`/`@listSize`, which count upstream calls:
 *   `MAX_OPERATION_COST` (default 100, the facade's own limit) refuses at the gateway what
 *   the facade would refuse (COST_ESTIMATED_TOO_EXPENSIVE), before it reaches the facade.
 *   The reading is an upper bound: Hive 2.15 reads `nodes(ids:)` at 200 whatever the ids
 *   (the `Node` interface counts 1 an item, and an interface cannot carry `@cost`), so a
 *   limit of 100 refuses every `nodes` — `node(id:)` costs 2; and other subgraphs' fields
 *   count too (composite types 1 each unless their SDL says otherwise). Set it with
 *   them in mind: the facade still refuses past its own limit, exactly.
 * - Errors are masked by default; the facade's refusals are not (they carry
 *   `extensions.code`, which the gateway passes on).
 */
import { defineConfig } from '@graphql-hive/gateway';

const FACADE_SUBGRAPH = process.env['FACADE_SUBGRAPH_NAME'] ?? 'usm';

export const gatewayConfig = defineConfig({
  transportEntries: {
    [FACADE_SUBGRAPH]: {
      options: {
        subscriptions: {
          kind: 'ws',
          // The facade serves graphql-ws on the same path as HTTP.
          location: '/graphql',
          options: { connectionParams: { authorization: '{context.headers.authorization}' } },
        },
      },
    },
  },
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => ({
      authorization: request.headers.get('authorization') ?? undefined,
      'x-request-id': request.headers.get('x-request-id') ?? undefined,
    }),
  },
  demandControl: {
    maxCost: Number(process.env['MAX_OPERATION_COST'] ?? 100),
    includeExtensionMetadata: true,
  },
});
