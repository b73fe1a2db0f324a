/**
 * The cost directives survive composition: the SDL a running facade serves, composed
 * with another team's subgraph by Apollo's composition and by The Guild's (what Apollo
 * Router and Hive Gateway run on), gives a supergraph that links the cost spec and
 * carries every `@cost` and `@listSize` of the facade on the same field, argument or
 * type, and the other subgraph's own beside them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parse } from 'graphql';
import { composeServices as composeWithApollo } from '@apollo/composition';
import { composeServices as composeWithTheGuild } from '@theguild/federation-composition';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { costDirectivesOf } from '../support/cost-directives.fixture.js';

/** A tickets subgraph that knows an alarm by its id and prices its own root field. */
const TICKETS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@cost"])

  type Query {
    ticket(id: ID!): Ticket @cost(weight: 5)
  }

  type Ticket @key(fields: "id") {
    id: ID!
    title: String!
    alarm: Alarm
  }

  type Alarm @key(fields: "id", resolvable: false) {
    id: ID!
  }
`;

const COMPOSERS = {
  '@apollo/composition': (services: Parameters<typeof composeWithApollo>[0]) => {
    const result = composeWithApollo(services);
    assert.equal(result.errors, undefined, result.errors?.map((e) => e.message).join('\n'));
    return result.supergraphSdl!;
  },
  '@theguild/federation-composition': (services: Parameters<typeof composeWithTheGuild>[0]) => {
    const result = composeWithTheGuild(services);
    assert.ok(!('errors' in result) || result.errors === undefined, 'errors' in result ? result.errors?.map((e) => e.message).join('\n') : '');
    return result.supergraphSdl!;
  },
};

describe('composing the facade’s costed SDL with a tickets subgraph', () => {
  let facade: TestFacade;
  let served: string;
  before(async () => {
    facade = await startTestFacade();
    served = (await facade.gql<{ _service: { sdl: string } }>('{ _service { sdl } }')).body.data!._service.sdl;
  });
  after(async () => {
    await facade.stop();
  });

  for (const [composer, compose] of Object.entries(COMPOSERS)) {
    it(`keeps every @cost and @listSize of the facade on the same coordinate, with ${composer}`, () => {
      const supergraph = compose([
        { name: 'usm', typeDefs: parse(served), url: 'http://usm.invalid/graphql' },
        { name: 'tickets', typeDefs: parse(TICKETS_SDL), url: 'http://tickets.invalid/graphql' },
      ]);
      assert.match(supergraph, /@link\(url: "https:\/\/specs\.apollo\.dev\/cost\/v0\.1"/);
      const facadeDirectives = costDirectivesOf(served);
      const composed = costDirectivesOf(supergraph);
      assert.ok(Object.keys(facadeDirectives).length > 40, 'the facade serves its directives');
      for (const [coordinate, directives] of Object.entries(facadeDirectives)) assert.equal(composed[coordinate], directives, coordinate);
      // The weights a router reads first, spelled out.
      assert.equal(
        composed['Query.alarms'],
        '@cost(weight: 4) @listSize(assumedSize: 20, requireOneSlicingArgument: false, sizedFields: ["edges"], slicingArguments: ["first", "last"])',
      );
      assert.equal(composed['Query.nodes(ids)'], '@cost(weight: 1)');
      assert.equal(composed['Subscription.alarmCreated(since)'], '@cost(weight: 9)');
      // Alarm is in both subgraphs; only the facade weighs it, and 0 it stays.
      assert.equal(composed['Alarm'], '@cost(weight: 0)');
      assert.equal(composed['Query.ticket'], '@cost(weight: 5)');
    });
  }
});
