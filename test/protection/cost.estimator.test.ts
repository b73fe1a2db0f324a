/**
 * The cost estimator on the facade's schema and rules, without a server: what each shape
 * of document is predicted to cost, literally.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getOperationAST, parse } from 'graphql';
import { buildFacadeSchema } from '../../src/graph/schema.builder.js';
import { fieldCostRules, type UpstreamTopology } from '../../src/graph/cost.rules.js';
import { estimateCost } from '../../src/protection/cost.estimator.js';
import { encodeGlobalId } from '../../src/graph/node/global.id.js';

const { schema } = buildFacadeSchema();
const TOPOLOGY: UpstreamTopology = {
  readable: ['acme-east', 'acme-lab', 'acme-west'],
  central: true,
  knownDeployments: () => 3,
  sharesPages: true,
};

function cost(query: string, variables: Record<string, unknown> = {}, topology: UpstreamTopology = TOPOLOGY): number {
  const document = parse(query);
  const operation = getOperationAST(document)!;
  return estimateCost({ schema, document, operation, variables, rules: fieldCostRules(topology) });
}

describe('estimateCost with the facade’s rules', () => {
  it('counts one page per readable deployment and Central’s list once', () => {
    assert.equal(cost('{ alarms(first: 100) { edges { node { id deployment { name } } } } }'), 4);
    assert.equal(cost('{ alarms(deployment: "acme-east") { totalCount } }'), 2);
    assert.equal(cost('{ alarms { totalCount } }', {}, { ...TOPOLOGY, central: false }), 3);
  });

  it('adds Central’s narrowed feed when Central knows deployments the facade holds no credentials for', () => {
    assert.equal(cost('{ alarms { totalCount } }', {}, { ...TOPOLOGY, knownDeployments: () => 5 }), 1 + 3 + 3);
  });

  it('counts a nested connection once per distinct deployment, not once per parent alarm', () => {
    const nested = '{ alarms(first: 100) { edges { node { deployment { alarms(first: 100) { totalCount } } } } } }';
    assert.equal(cost(nested), 1 + 3 + 3);
    // Without the page cache nothing shares the nested pages: one per alarm.
    assert.equal(cost(nested, {}, { ...TOPOLOGY, sharesPages: false }), 1 + 3 + 100);
  });

  it('takes a variable the client left out at the default its definition declares', () => {
    const nested = 'query($n: Int = 100) { alarms(first: $n) { edges { node { deployment { alarms { totalCount } } } } } }';
    const unshared = { ...TOPOLOGY, sharesPages: false };
    assert.equal(cost(nested, {}, unshared), 1 + 3 + 100);
    assert.equal(cost(nested, { n: 5 }, unshared), 1 + 3 + 5);
  });

  it('counts identical fields under aliases once, and different ones each', () => {
    assert.equal(cost('{ a: alarms(first: 10) { totalCount } b: alarms(first: 10) { totalCount } }'), 4);
    assert.equal(cost('{ a: alarms(first: 10) { totalCount } b: alarms(first: 11) { totalCount } }'), 7);
  });

  it('follows fragments and honours @skip and @include with the variables', () => {
    const query = `query($all: Boolean!) { ...Page @include(if: $all) alarm(id: "${encodeGlobalId('Alarm', 'acme-east', 'u')}") @skip(if: $all) { id } }
      fragment Page on Query { alarms { totalCount } }`;
    assert.equal(cost(query, { all: true }), 4);
    assert.equal(cost(query, { all: false }), 2);
  });

  it('counts a lookup per distinct id, none for a deployment id, none for ids nodes() refuses', () => {
    const ids = ['a', 'b', 'b'].map((u) => encodeGlobalId('Alarm', 'acme-east', u));
    assert.equal(cost('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: [...ids, encodeGlobalId('Deployment', 'acme-east')] }), 1 + 2);
    const tooMany = Array.from({ length: 101 }, (_, i) => encodeGlobalId('Alarm', 'acme-east', String(i)));
    assert.equal(cost('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: tooMany }), 0);
  });

  it('multiplies by page sizes: events of every deployment under a list of deployments', () => {
    assert.equal(cost('{ deployments { events(first: 5) { totalCount } alarms { totalCount } } }'), 1 + 3 + 3);
  });

  it('costs a label write as its PUT and the read-back, each time it is selected', () => {
    assert.equal(cost('mutation { a: addAlarmLabel(alarmId: "x", labelId: "l") { id } b: removeAlarmLabel(alarmId: "x", labelId: "l") { id } }'), 4);
  });

  it('costs a subscription per poll, and a replay on top', () => {
    assert.equal(cost('subscription { alarmPage(first: 50) { totalCount } }'), 4);
    assert.equal(cost('subscription { alarmCreated { id } }'), 4);
    assert.equal(cost('subscription { alarmCreated(since: "2026-01-01T00:00:00Z") { id } }'), 1 + 3 * 4);
  });

  it('costs nothing for the facade’s own data and introspection', () => {
    assert.equal(cost('{ viewer { id } apiKeys { id } __schema { types { name } } }'), 0);
  });
});
