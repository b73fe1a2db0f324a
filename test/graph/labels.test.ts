/**
 * Label mutations: they call the idempotent upstream PUT/DELETE, return the alarm as it
 * now is, and leave no stale copy behind in the document or page caches, whichever way
 * the alarm is read next.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { requestCount, resetSimulatorStats, simulatorStats } from '../support/simulator.stats.js';
import { alarmId, directReader, type DirectReader, type RestAlarm } from './graph.fixture.js';

const ADD = `mutation($id: ID!, $label: String!) { addAlarmLabel(alarmId: $id, labelId: $label) { id labelIds } }`;
const REMOVE = `mutation($id: ID!, $label: String!) { removeAlarmLabel(alarmId: $id, labelId: $label) { id labelIds } }`;
const READ = `query($id: ID!) {
  alarm(id: $id) { labelIds }
  node(id: $id) { ... on Alarm { labelIds } }
  alarms(deployment: "acme-east", first: 10) { edges { node { id labelIds } } }
}`;

type Read = {
  alarm: { labelIds: string[] } | null;
  node: { labelIds: string[] } | null;
  alarms: { edges: Array<{ node: { id: string; labelIds: string[] } }> };
};

describe('alarm labels', () => {
  let facade: TestFacade;
  let east: DirectReader;
  let target: RestAlarm;
  let id: string;

  /** Reads the alarm by id, by node and in the first list page, in one request. */
  const labelsEverywhere = async (): Promise<string[][]> => {
    const { body } = await facade.gql<Read>(READ, { id });
    assert.equal(body.errors, undefined);
    const inList = body.data!.alarms.edges.find((e) => e.node.id === id)!;
    return [body.data!.alarm!.labelIds, body.data!.node!.labelIds, inList.node.labelIds];
  };
  const upstreamLabels = async () => (await east.alarms()).find((a) => a.uuid === target.uuid)!.alarm_labels;

  before(async () => {
    facade = await startTestFacade();
    east = await directReader(facade, 'acme-east');
    // The newest alarm without labels: it is in the first list page.
    target = (await east.alarms()).slice(0, 10).find((a) => a.alarm_labels.length === 0)!;
    id = alarmId(target);
  });
  after(async () => {
    await facade.stop();
  });

  it('adds a label, returns the alarm with it, and every later read shows it, though the alarm and its page were cached', async () => {
    assert.deepEqual(await labelsEverywhere(), [[], [], []]); // now cached: document and page
    await resetSimulatorStats(facade.simulatorUrl);
    const { body } = await facade.gql(ADD, { id, label: 'needs-triage' });
    assert.deepEqual(body, { data: { addAlarmLabel: { id, labelIds: ['needs-triage'] } }, extensions: body.extensions });
    const stats = await simulatorStats(facade.simulatorUrl);
    assert.equal(requestCount(stats, 'acme-east', 'PUT /alarms/{id}/labels/{labelId}'), 1);
    assert.deepEqual(await upstreamLabels(), ['needs-triage']);
    assert.deepEqual(await labelsEverywhere(), [['needs-triage'], ['needs-triage'], ['needs-triage']]);
  });

  it('adds the same label twice and keeps one', async () => {
    const { body } = await facade.gql(ADD, { id, label: 'needs-triage' });
    assert.deepEqual(body, { data: { addAlarmLabel: { id, labelIds: ['needs-triage'] } }, extensions: body.extensions });
    assert.deepEqual(await labelsEverywhere(), [['needs-triage'], ['needs-triage'], ['needs-triage']]);
  });

  it('removes the label, and every later read shows it gone', async () => {
    const { body } = await facade.gql(REMOVE, { id, label: 'needs-triage' });
    assert.deepEqual(body, { data: { removeAlarmLabel: { id, labelIds: [] } }, extensions: body.extensions });
    assert.deepEqual(await upstreamLabels(), []);
    assert.deepEqual(await labelsEverywhere(), [[], [], []]);
  });

  it('removes a label the alarm lacks without error (idempotent)', async () => {
    const { body } = await facade.gql(REMOVE, { id, label: 'never-set' });
    assert.deepEqual(body, { data: { removeAlarmLabel: { id, labelIds: [] } }, extensions: body.extensions });
  });

  it('answers NOT_FOUND, saying which alarm, for an alarm the deployment does not know', async () => {
    const missing = alarmId({ deployment: 'acme-east', uuid: '00000000-0000-4000-8000-0000000000aa' });
    const { body } = await facade.gql(ADD, { id: missing, label: 'needs-triage' });
    assert.equal(body.data, null);
    assert.equal(body.errors?.length, 1);
    assert.equal(body.errors![0]!.extensions?.['code'], 'NOT_FOUND');
    assert.equal(
      body.errors![0]!.message,
      'deployment "acme-east" has no alarm 00000000-0000-4000-8000-0000000000aa; use the id of an alarm returned by this API',
    );
  });

  it('refuses a label ID it could not send upstream, before any call, saying what a label ID is', async () => {
    await resetSimulatorStats(facade.simulatorUrl);
    const { body } = await facade.gql(ADD, { id, label: 'two words' });
    assert.equal(body.errors![0]!.extensions?.['code'], 'BAD_USER_INPUT');
    assert.match(body.errors![0]!.message, /letters, digits/);
    const stats = await simulatorStats(facade.simulatorUrl);
    assert.equal(requestCount(stats, 'acme-east', 'PUT /alarms/{id}/labels/{labelId}'), 0);
  });
});
