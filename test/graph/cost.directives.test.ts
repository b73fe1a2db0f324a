/**
 * The cost directives a facade publishes: `_service { sdl }` carries `@cost` and
 * `@listSize` with the weights of that facade's upstreams, literally, and they follow
 * the rules as the topology changes. (test/graph/cost.router-reading.test.ts holds the
 * weights against the estimate operation by operation.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readFile } from 'node:fs/promises';
import { Kind, parse, type ObjectTypeDefinitionNode } from 'graphql';
import { buildFacadeSchema } from '../../src/graph/schema.builder.js';
import { fieldCostRules, type UpstreamTopology } from '../../src/graph/cost.rules.js';
import { costedSdl, servedSdl } from '../../src/graph/cost.directives.js';
import { SCHEMA_FILE } from '../../src/graph/schema.file.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator.js';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { costDirectivesOf } from '../support/cost-directives.fixture.js';

const { schema, sdl } = buildFacadeSchema();

const servedBy = async (facade: TestFacade) => (await facade.gql<{ _service: { sdl: string } }>('{ _service { sdl } }')).body.data!._service.sdl;

const CONNECTION = '@listSize(assumedSize: 20, requireOneSlicingArgument: false, sizedFields: ["edges"], slicingArguments: ["first", "last"])';

describe('the SDL a facade serves in _service', () => {
  let simulator: RunningSimulator;
  let withCentral: TestFacade;
  let withoutCentral: TestFacade;
  before(async () => {
    simulator = await startSimulator({ alarmsPerDeployment: 50 });
    withCentral = await startTestFacade();
    // One deployment's own credentials, no Central.
    withoutCentral = await startTestFacade({}, { upstream: { simulator, deployment: 'acme-east' } });
  });
  after(async () => {
    await withoutCentral.stop();
    await withCentral.stop();
    await simulator.stop();
  });

  it('is schema/schema.graphql on the embedded simulator’s default upstreams, the ones `npm start` has', async () => {
    assert.equal(await servedBy(withCentral), await readFile(SCHEMA_FILE, 'utf8'));
  });

  it('links federation 2.9 with @cost and @listSize', async () => {
    assert.match(await servedBy(withCentral), /@link\(url: "https:\/\/specs\.apollo\.dev\/federation\/v2\.9", import: \["@key", "@shareable", "@cost", "@listSize"\]\)/);
  });

  it('prices each root field with Central at the pages of three readable deployments plus Central’s list, without Central at its one deployment’s page', async () => {
    const central = costDirectivesOf(await servedBy(withCentral));
    const alone = costDirectivesOf(await servedBy(withoutCentral));
    const pick = (directives: Record<string, string>) =>
      Object.fromEntries(
        ['Query.alarms', 'Query.events', 'Query.alarm', 'Query.deployment', 'Query.deployments', 'Mutation.addAlarmLabel', 'Subscription.alarmPage', 'Subscription.alarmCreated', 'Subscription.alarmCreated(since)'].map(
          (coordinate) => [coordinate, directives[coordinate]],
        ),
      );
    assert.deepEqual(pick(central), {
      'Query.alarms': `@cost(weight: 4) ${CONNECTION}`,
      'Query.events': `@cost(weight: 4) ${CONNECTION}`,
      'Query.alarm': '@cost(weight: 2)',
      'Query.deployment': '@cost(weight: 1)',
      'Query.deployments': '@cost(weight: 1) @listSize(assumedSize: 3)',
      'Mutation.addAlarmLabel': '@cost(weight: 3)',
      'Subscription.alarmPage': `@cost(weight: 4) ${CONNECTION.replace('["first", "last"]', '["first"]')}`,
      'Subscription.alarmCreated': '@cost(weight: 4)',
      'Subscription.alarmCreated(since)': '@cost(weight: 9)',
    });
    assert.deepEqual(pick(alone), {
      'Query.alarms': `@cost(weight: 1) ${CONNECTION}`,
      'Query.events': `@cost(weight: 1) ${CONNECTION}`,
      'Query.alarm': '@cost(weight: 1)',
      'Query.deployment': '@cost(weight: 0)',
      'Query.deployments': '@cost(weight: 0) @listSize(assumedSize: 1)',
      'Mutation.addAlarmLabel': '@cost(weight: 2)',
      'Subscription.alarmPage': `@cost(weight: 1) ${CONNECTION.replace('["first", "last"]', '["first"]')}`,
      'Subscription.alarmCreated': '@cost(weight: 1)',
      'Subscription.alarmCreated(since)': '@cost(weight: 3)',
    });
  });

  it('prices what an alarm or event reaches per parent, leaving Central’s list to the root field that already paid it', async () => {
    const central = costDirectivesOf(await servedBy(withCentral));
    assert.deepEqual(
      ['Alarm.deployment', 'Event.deployment', 'Deployment.alarms', 'Deployment.events'].map((coordinate) => central[coordinate]),
      ['@cost(weight: 0)', '@cost(weight: 0)', `@cost(weight: 1) ${CONNECTION}`, `@cost(weight: 1) ${CONNECTION}`],
    );
  });

  it('weighs every object type 0, so an alarm in a page of 100 costs nothing of its own', async () => {
    const central = costDirectivesOf(await servedBy(withCentral));
    const objects = parse(sdl).definitions.filter(
      (d): d is ObjectTypeDefinitionNode => d.kind === Kind.OBJECT_TYPE_DEFINITION && !['Query', 'Mutation', 'Subscription'].includes(d.name.value),
    );
    assert.ok(objects.length > 20);
    for (const { name } of objects) assert.equal(central[name.value], '@cost(weight: 0)', name.value);
  });

  it('prices nodes by its ids, Central’s list once and a lookup each, the list of 100 a router may assume costing nothing more', async () => {
    const central = costDirectivesOf(await servedBy(withCentral));
    assert.equal(central['Query.nodes'], '@cost(weight: 0) @listSize(assumedSize: 100)');
    assert.equal(central['Query.nodes(ids)'], '@cost(weight: 1)');
  });

  it('weighs a filter or an ordering 0, where the spec’s default for an input object is 1', async () => {
    const central = costDirectivesOf(await servedBy(withCentral));
    for (const coordinate of ['Query.alarms(filter)', 'Query.alarms(orderBy)', 'Deployment.events(filter)', 'Subscription.alarmCreated(filter)']) {
      assert.equal(central[coordinate], '@cost(weight: 0)', coordinate);
    }
  });
});

describe('costedSdl as the topology changes', () => {
  const topology = (overrides: Partial<UpstreamTopology>): UpstreamTopology => ({
    readable: ['acme-east', 'acme-west', 'acme-lab'],
    central: true,
    knownDeployments: () => 3,
    sharesPages: true,
    ...overrides,
  });
  const costed = (t: UpstreamTopology) => costDirectivesOf(costedSdl({ schema, sdl, topology: t, rules: fieldCostRules(t) }));

  it('adds Central’s narrowed pages once Central lists deployments the facade holds no credentials for, and serves that from then on', () => {
    let known = 3;
    const t = topology({ knownDeployments: () => known });
    const served = servedSdl({ schema, sdl, topology: t, rules: fieldCostRules(t) });
    const first = served();
    assert.match(costDirectivesOf(first)['Query.alarms']!, /^@cost\(weight: 4\)/);
    assert.equal(served(), first, 'made again only when the deployments change');
    known = 5;
    const grown = costDirectivesOf(served());
    assert.match(grown['Query.alarms']!, /^@cost\(weight: 7\)/);
    // Each deployment under a list is now read in Central's growing pages.
    assert.match(grown['Deployment.alarms']!, /^@cost\(weight: 3\)/);
    assert.equal(grown['Query.deployments'], '@cost(weight: 1) @listSize(assumedSize: 5)');
  });

  it('gives a deployment argument the pages Central reads for it, when one readable deployment costs less', () => {
    const one = costed(topology({ readable: ['acme-east'], knownDeployments: () => 1 }));
    assert.match(one['Query.alarms']!, /^@cost\(weight: 2\)/);
    assert.equal(one['Query.alarms(deployment)'], '@cost(weight: 2)');
  });

  it('weighs identically whether or not identical pages are shared: the per-parent weight is the same either way', () => {
    assert.deepEqual(costed(topology({ sharesPages: false })), costed(topology({})));
  });

  it('refuses a rule that answers items on a field a router counts once, naming the field', () => {
    const t = topology({});
    const rules = { ...fieldCostRules(t), 'Query.alarm': () => ({ calls: [{ count: 1 }], items: 5 }) };
    assert.throws(() => costedSdl({ schema, sdl, topology: t, rules }), {
      message: 'Query.alarm is neither a list nor a connection, but its rule answers 5 items: a router would count it once',
    });
  });
});
