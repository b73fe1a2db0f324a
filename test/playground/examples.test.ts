/**
 * What the playground offers: every file of operations/ as an example (title from the
 * file name, description from its comment, placeholders for required variables), served
 * without a key, and a page whose Content-Security-Policy lets it load nothing from
 * elsewhere.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadExamples, OPERATIONS_DIR, type PlaygroundExample } from '../../src/server/playground.js';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';

describe('the playground examples', () => {
  it('offers each operation file with a title, its comment and the variables it needs', () => {
    const examples = loadExamples(OPERATIONS_DIR);
    assert.deepEqual(
      examples.map((e) => [e.title, e.operationName, e.operationType]),
      [
        ['Add alarm label', 'AddAlarmLabel', 'mutation'],
        ['Alarm details', 'AlarmDetails', 'query'],
        ['Alarms by priority', 'AlarmsByPriority', 'query'],
        ['Alarms next page', 'AlarmsNextPage', 'query'],
        ['Alarms previous page', 'AlarmsPreviousPage', 'query'],
        ['Live alarm page', 'LiveAlarmPage', 'subscription'],
        ['Remove alarm label', 'RemoveAlarmLabel', 'mutation'],
        ['Rotate API key', 'RotateApiKey', 'mutation'],
        ['Viewer', 'Viewer', 'query'],
      ],
    );
    const byName = new Map(examples.map((e) => [e.operationName, e]));
    assert.equal(byName.get('AlarmDetails')!.variables, '{\n  "id": ""\n}');
    assert.equal(byName.get('AddAlarmLabel')!.variables, '{\n  "alarmId": "",\n  "labelId": ""\n}');
    // Variables with defaults (or optional ones) are left to their defaults.
    assert.equal(byName.get('AlarmsByPriority')!.variables, '');
    assert.equal(byName.get('RotateApiKey')!.variables, '{\n  "id": ""\n}');
    assert.equal(byName.get('Viewer')!.description, 'Who am I: the key this request authenticated with, and what it may do.');
    assert.ok(examples.every((e) => e.description.length > 0 && e.query.startsWith('#')));
  });

  it('refuses a file that holds no single named operation, naming the file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'usm-playground-'));
    try {
      writeFileSync(path.join(dir, 'two.graphql'), 'query A { viewer { id } }\nquery B { viewer { id } }\n');
      assert.throws(() => loadExamples(dir), /two\.graphql: an example holds exactly one named operation/);
      writeFileSync(path.join(dir, 'two.graphql'), '{ viewer { id } }\n');
      assert.throws(() => loadExamples(dir), /two\.graphql: an example holds exactly one named operation/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('served by the facade', () => {
    let facade: TestFacade;
    before(async () => {
      facade = await startTestFacade({ NODE_ENV: 'production' });
    });
    after(() => facade.stop());

    it('hands out the examples without a key: they are this checkout\'s documents, not data', async () => {
      const response = await fetch(new URL('/playground/examples.json', facade.url));
      assert.equal(response.status, 200);
      const examples = (await response.json()) as PlaygroundExample[];
      assert.deepEqual(examples, loadExamples(OPERATIONS_DIR));
    });

    it('serves the page under a policy of its own origin only', async () => {
      const response = await fetch(facade.url, { headers: { accept: 'text/html' } });
      const policy = response.headers.get('content-security-policy') ?? '';
      assert.match(policy, /default-src 'self'/);
      assert.match(policy, /connect-src 'self'/);
      assert.match(policy, /script-src 'self'(;|$)/, 'no inline or evaluated script');
    });

    it('names the assets it has when asked for another', async () => {
      const response = await fetch(new URL('/playground/nope.js', facade.url));
      assert.equal(response.status, 404);
      assert.match(((await response.json()) as { error: string }).error, /known: examples\.json, react\.js/);
    });
  });
});
