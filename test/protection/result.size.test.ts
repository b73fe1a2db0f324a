/**
 * The result-size count on the facade's schema and list sizes, without a server: the
 * most objects each shape of document can answer, literally; every example operation
 * under the default limit, and the hostile shapes over it.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildSchema, getOperationAST, parse } from 'graphql';
import { buildFacadeSchema } from '../../src/graph/schema.builder.js';
import type { UpstreamTopology } from '../../src/graph/cost.rules.js';
import { resultSizeRules } from '../../src/graph/result-size.rules.js';
import { countResultNodes, resultSizeCounter, unsizedLists } from '../../src/protection/result.size.js';
import { QUERY_LIMITS_DEFAULTS } from '../../src/protection/protection.settings.js';
import { encodeGlobalId } from '../../src/graph/node/global.id.js';
import { PACKAGE_ROOT } from '../../src/config/package.root.js';

const { schema } = buildFacadeSchema();
const TOPOLOGY: UpstreamTopology = {
  readable: ['acme-east', 'acme-lab', 'acme-west'],
  central: true,
  knownDeployments: () => 3,
  sharesPages: true,
};

function size(query: string, variables: Record<string, unknown> = {}, topology: UpstreamTopology = TOPOLOGY): number {
  const document = parse(query);
  const operation = getOperationAST(document)!;
  return countResultNodes({ schema, document, operation, variables, rules: resultSizeRules(topology) });
}

/** The alias: 100 alarms, each with its deployment's 100 alarms; depth 8. */
const NESTED = 'alarms(first: 100) { edges { node { deployment { alarms(first: 100) { edges { node { id uuid status priorityLabel occurredAt } } } } } } }';

describe('countResultNodes with the facade’s list sizes', () => {
  it('counts the connection, each edge and each node, and nothing for scalars', () => {
    // 1 connection + 10 edges + 10 alarms; labelIds is a list of strings.
    assert.equal(size('{ alarms(first: 10) { totalCount edges { cursor node { id labelIds } } } }'), 21);
    // pageInfo is one object per connection, not one per edge.
    assert.equal(size('{ alarms(first: 10) { edges { node { id } } pageInfo { endCursor } } }'), 22);
    assert.equal(size('{ alarms(last: 7) { edges { node { id } } } }'), 15);
  });

  it('takes 20 without first or last, and 100 for more than the resolvers accept', () => {
    assert.equal(size('{ alarms { edges { node { id } } } }'), 41);
    assert.equal(size('{ alarms(first: 1000000) { edges { node { id } } } }'), 201);
    assert.equal(size('{ auditEvents { edges { node { id } } } }'), 41);
  });

  it('multiplies nested lists: a deployment’s alarms under each of 100 alarms', () => {
    // 1 + 100 edges + 100 alarms + 100 deployments + 100 × (1 + 100 + 100).
    assert.equal(size(`{ ${NESTED} }`), 20_401);
    // Each alarm's events, and its sources and destinations (10 each, assumed).
    assert.equal(size('{ alarms(first: 100) { edges { node { sources { address } destinations { address } events { edges { node { name } } } } } } }'), 1 + 100 + 100 + 100 * (10 + 10 + 1 + 20 + 20));
  });

  it('counts each alias', () => {
    const aliases = Array.from({ length: 15 }, (_, i) => `a${i}: ${NESTED}`).join(' ');
    assert.equal(size(`{ ${aliases} }`), 15 * 20_401);
    assert.equal(size('{ a: alarms(first: 10) { edges { node { id } } } b: alarms(first: 10) { edges { node { id } } } }'), 42);
  });

  it('follows named and inline fragments, and honours @skip and @include', () => {
    const query = `query($all: Boolean!) {
      alarms(first: 5) { ...Edges ... on AlarmConnection { pageInfo { hasNextPage } } }
      deployments @include(if: $all) { name }
    }
    fragment Edges on AlarmConnection { edges { node { ...Where } } }
    fragment Where on Alarm { deployment { name } }`;
    // 1 + 5 + 5 + 5 deployments + 1 pageInfo, and 3 deployments when included.
    assert.equal(size(query, { all: false }), 17);
    assert.equal(size(query, { all: true }), 20);
  });

  it('reads first and last from the variables, and from their declared defaults when left out', () => {
    const query = 'query($n: Int = 50) { alarms(first: $n) { edges { node { id } } } }';
    assert.equal(size(query), 101);
    assert.equal(size(query, { n: 3 }), 7);
    assert.equal(size('query($n: Int) { alarms(last: $n) { edges { node { id } } } }'), 41);
  });

  it('counts one object per id of nodes(), at most 100, and per entity representation', () => {
    const ids = ['a', 'b', 'c'].map((u) => encodeGlobalId('Alarm', 'acme-east', u));
    assert.equal(size('query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Alarm { deployment { name } } } }', { ids }), 6);
    const tooMany = Array.from({ length: 150 }, (_, i) => encodeGlobalId('Alarm', 'acme-east', String(i)));
    assert.equal(size('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: tooMany }), 100);
    const representations = ids.map((id) => ({ __typename: 'Alarm', id }));
    assert.equal(size('query($r: [_Any!]!) { _entities(representations: $r) { ... on Alarm { id } } }', { r: representations }), 3);
  });

  it('counts every known deployment, and follows the topology when Central lists more', () => {
    assert.equal(size('{ deployments { alarms(first: 10) { edges { node { id } } } } }'), 3 * (1 + 1 + 10 + 10));
    assert.equal(size('{ deployments { name } }', {}, { ...TOPOLOGY, knownDeployments: () => 40 }), 40);
  });

  it('counts the admin lists: credentials per upstream, API keys as assumed', () => {
    assert.equal(size('{ upstreamCredentials { state } }'), 4);
    assert.equal(size('{ viewer { upstreamUsage { upstreams { gets } } } }'), 1 + 1 + 4);
    assert.equal(size('{ apiKeys { id } }'), 1_000);
    assert.equal(size('mutation($i: [UpstreamCredentialInput!]!) { rotateUpstreamCredentials(input: $i) { entries { status } } }', { i: [{}, {}] }), 3);
  });

  it('counts a subscription per payload, and nothing for introspection', () => {
    assert.equal(size('subscription { alarmPage(first: 50) { edges { node { id deployment { name } } } } }'), 1 + 50 + 50 + 50);
    assert.equal(size('subscription { alarmCreated { id deployment { name } } }'), 2);
    assert.equal(size('{ __schema { types { name fields { name } } } viewer { id } }'), 1);
  });
});

describe('the default MAX_RESULT_NODES', () => {
  const limit = QUERY_LIMITS_DEFAULTS.maxResultNodes;
  /** A variable's largest value where it sizes a list (`first`/`last`: 100), else what the file declares. */
  const largest = { first: 100, last: 100 };
  const operationsDir = path.join(PACKAGE_ROOT, 'operations');
  const files = readdirSync(operationsDir).filter((name) => name.endsWith('.graphql'));

  it('admits every operation in operations/, with its page sizes at their largest', () => {
    assert.ok(files.length >= 9, files.join(', '));
    for (const file of files) {
      const count = size(readFileSync(path.join(operationsDir, file), 'utf8'), largest);
      assert.ok(count > 0 && count <= limit, `${file}: ${count} objects, limit ${limit}`);
    }
  });

  it('admits a dashboard’s pages: 100 alarms with details, 50 with all their events, every deployment’s newest 20', () => {
    assert.equal(size('{ alarms(first: 100) { edges { node { deployment { name } sources { address } destinations { address } events { edges { node { name } } } } } } }'), 6_401);
    const everyEvent = '{ alarms(first: 50) { edges { node { deployment { name } sources { address } destinations { address } events(first: 100) { edges { node { deployment { name } } } } } } } }';
    assert.equal(size(everyEvent), 1 + 50 + 50 + 50 * (1 + 20 + 1 + 100 + 100 + 100));
    assert.ok(size(everyEvent) <= limit);
    assert.ok(size('{ deployments { alarms { edges { node { id deployment { name } } } } } }', {}, { ...TOPOLOGY, knownDeployments: () => 50 }) <= limit);
  });

  it('refuses the 15 aliases of the issue and one depth-8 nesting of first: 100', () => {
    assert.ok(size(`{ ${Array.from({ length: 15 }, (_, i) => `a${i}: ${NESTED}`).join(' ')} }`) > limit);
    assert.ok(size(`{ ${NESTED} }`) > limit);
    assert.ok(size('{ alarms(first: 100) { edges { node { events(first: 100) { edges { node { name } } } } } } }') > limit);
    assert.ok(size('query($ids: [ID!]!) { nodes(ids: $ids) { ... on Alarm { events(first: 100) { edges { node { name } } } } } }', { ids: Array(100).fill('x') }) > limit);
  });
});

describe('resultSizeCounter', () => {
  it('sizes every list of objects in the facade’s schema', () => {
    assert.deepEqual(unsizedLists(schema, resultSizeRules(TOPOLOGY)), []);
  });

  it('refuses rules that leave a list of objects without a length, naming it', () => {
    const { 'Query.apiKeys': _apiKeys, 'Deployment.alarms': _alarms, ...fewer } = resultSizeRules(TOPOLOGY);
    assert.throws(() => resultSizeCounter({ schema, rules: fewer }), {
      message: "These lists of objects have no ListSizeRule, so no answer's size can be bounded: AlarmConnection.edges via Deployment.alarms, Query.apiKeys",
    });
  });

  it('keeps the count of an operation without variables until the epoch changes', () => {
    const tiny = buildSchema('type Query { items: [Item!]! } type Item { id: ID }');
    let length = 3;
    let epoch = 0;
    const count = resultSizeCounter({ schema: tiny, rules: { 'Query.items': { items: () => length } }, epoch: () => epoch });
    const document = parse('{ items { id } }');
    const operation = getOperationAST(document)!;
    assert.equal(count(document, operation, undefined), 3);
    length = 5;
    assert.equal(count(document, operation, undefined), 3);
    epoch = 1;
    assert.equal(count(document, operation, undefined), 5);
  });
});
