/**
 * The second team's subgraph, as another team would write it: tickets that point at a
 * facade alarm by its id, and `Alarm.tickets` added to the facade's `Alarm` entity, so a
 * router resolves entities both ways (`Ticket.alarm`'s fields at the facade,
 * `Alarm.tickets` here). Routers under test (Grafbase, Hive Gateway) put it beside the
 * facade.
 *
 * API, all of it:
 * - `TICKETS_SDL`: the SDL it serves (`_service { sdl }` answers the same).
 * - `startTicketsSubgraph()` starts it on an ephemeral port of 127.0.0.1 and answers
 *   `{ url, sdl, setTickets, entityCalls, stop }`:
 *   - `setTickets([{ id, title, alarmId }])` replaces every ticket (a test makes them
 *     from real alarm ids read from the facade); none until then;
 *   - `entityCalls()` is how many requests with an `_entities` field it has answered
 *     (a router resolving `Alarm.tickets` sends one per batch of alarms);
 *   - `stop()` closes it.
 * It needs no key and forwards none: authentication is the facade's concern.
 */
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';

export const TICKETS_SDL = `extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

type Query {
  ticket(id: ID!): Ticket
  tickets: [Ticket!]!
}

type Ticket @key(fields: "id") {
  id: ID!
  title: String!
  alarm: Alarm
}

"""A facade alarm, known here by its id; this subgraph adds the tickets that point at it."""
type Alarm @key(fields: "id") {
  id: ID!
  tickets: [Ticket!]!
}
`;

export interface Ticket {
  id: string;
  title: string;
  /** The facade's `Alarm.id` (its opaque global id), or null for a ticket about no alarm. */
  alarmId: string | null;
}

export interface TicketsSubgraph {
  /** e.g. `http://127.0.0.1:41234/` */
  url: string;
  sdl: string;
  setTickets(tickets: Ticket[]): void;
  /** Requests with an `_entities` field answered so far. */
  entityCalls(): number;
  stop(): Promise<void>;
}

export async function startTicketsSubgraph(): Promise<TicketsSubgraph> {
  let tickets: Ticket[] = [];
  let entityCalls = 0;
  const schema = buildSubgraphSchema({
    typeDefs: parse(TICKETS_SDL),
    resolvers: {
      Query: {
        ticket: (_: unknown, { id }: { id: string }) => tickets.find((ticket) => ticket.id === id) ?? null,
        tickets: () => tickets,
      },
      Ticket: {
        __resolveReference: ({ id }: { id: string }) => tickets.find((ticket) => ticket.id === id) ?? null,
        alarm: (ticket: Ticket) => (ticket.alarmId === null ? null : { __typename: 'Alarm', id: ticket.alarmId }),
      },
      Alarm: {
        __resolveReference: ({ id }: { id: string }) => ({ id }),
        tickets: (alarm: { id: string }) => tickets.filter((ticket) => ticket.alarmId === alarm.id),
      },
    },
  });
  const server = new ApolloServer({
    schema,
    plugins: [
      // Routers here ask for no traces; without this Apollo announces on stdout that it would send them.
      ApolloServerPluginInlineTraceDisabled(),
      {
        async requestDidStart() {
          return {
            async didResolveOperation({ operation }) {
              const fields = operation?.selectionSet.selections ?? [];
              if (fields.some((field) => field.kind === 'Field' && field.name.value === '_entities')) entityCalls += 1;
            },
          };
        },
      },
    ],
  });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  return {
    url,
    sdl: TICKETS_SDL,
    setTickets: (next) => {
      tickets = next.map((ticket) => ({ ...ticket }));
    },
    entityCalls: () => entityCalls,
    stop: () => server.stop(),
  };
}
