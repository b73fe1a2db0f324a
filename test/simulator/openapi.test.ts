/**
 * The simulator's responses against the vendor's USM Anywhere 2.0 OpenAPI document.
 *
 * The simulator plays real responses, which differ from the published spec in a few
 * known ways (see /work/shared/upstream/README.md). Each of those is one explicit,
 * commented change to a copy of the spec's schemas below, and a test proves each
 * change is still needed (the spec as published rejects that response), so an
 * exception cannot outlive its reason. Nothing else is loosened.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import responseValidator from 'openapi-response-validator';
import { parse } from 'yaml';
import { basicAuth, call, startTestSimulator, tokenFor, type TestSimulator } from './simulator.fixture.js';

/** The repository root: the directory above `dist` (or a helper's `dist-<name>`), where this file runs from. */
function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!/^dist(?:-[^/]+)?$/.test(path.basename(dir))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('openapi.test must run from inside dist/ or dist-<name>/');
    dir = parent;
  }
  return path.dirname(dir);
}

// A CommonJS module whose class is `exports.default`: under NodeNext the default import is the module object.
const OpenAPIResponseValidator = responseValidator.default;
type Validator = InstanceType<typeof OpenAPIResponseValidator>;

const SPEC_PATH = path.resolve(repoRoot(), '../shared/upstream/usm-anywhere-2.0.openapi.yml');
const spec = parse(readFileSync(SPEC_PATH, 'utf8'));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// RFC 3986 leaves no room for spaces, braces and the like; a HAL URI template is not a URI.
const URI = /^[a-z][a-z0-9+.-]*:[^\s{}<>"\\^`|]*$/i;
// Ajv ignores unknown formats; checking these makes the spec's `format`s mean something.
const customFormats = {
  uuid: (value: string) => UUID.test(value),
  uri: (value: string) => URI.test(value),
};

/** The spec's components, with exactly the divergences real responses show. */
function realWorldComponents(): any {
  const components = structuredClone(spec.components);
  const schemas = components.schemas;

  // 1. Real empty pages (and pages past the end) leave `_embedded` out altogether.
  schemas.AlarmPage.required = ['_links', 'page'];
  schemas.EventPage.required = ['_links', 'page'];

  // 2. Real event pages embed their items under `eventResources`, not `events`.
  schemas.EmbeddedEvents = {
    type: 'object',
    properties: { eventResources: { type: 'array', items: { $ref: '#/components/schemas/Event' } } },
    required: ['eventResources'],
  };

  // 3. An alarm's events come flat (the spec's AlarmEvent) or wrapped under `message`
  //    with a templated self link (`…/events/{eventId}`, a URI template, not a URI).
  schemas.WrappedAlarmEvent = {
    type: 'object',
    properties: {
      message: {
        type: 'object',
        properties: { uuid: { type: 'string', format: 'uuid' }, _links: { $ref: '#/components/schemas/EventLinks' } },
        required: ['uuid'],
      },
      _links: {
        type: 'object',
        properties: {
          self: {
            type: 'object',
            properties: { href: { type: 'string' }, templated: { type: 'boolean', enum: [true] } },
            required: ['href', 'templated'],
          },
        },
        required: ['self'],
      },
    },
    required: ['message', '_links'],
  };
  schemas.Alarm.properties.events.items = {
    anyOf: [{ $ref: '#/components/schemas/AlarmEvent' }, { $ref: '#/components/schemas/WrappedAlarmEvent' }],
  };

  // 4. Label ids on real alarms are not UUIDs (e.g. `lbl-escalated`), whatever the spec says.
  delete schemas.AlarmLabels.properties.alarm_labels.items.format;

  return components;
}

const vendorComponents = spec.components;
const adjustedComponents = realWorldComponents();

// Compiling a validator is the slow part; each one is built once.
const compiled = new Map<string, Validator>();
function memo(key: string, build: () => Validator): Validator {
  let v = compiled.get(key);
  if (v === undefined) compiled.set(key, (v = build()));
  return v;
}

function validator(pathKey: string, method: string, components: any = adjustedComponents): Validator {
  const key = `${method} ${pathKey} ${components === vendorComponents ? 'vendor' : 'adjusted'}`;
  return memo(key, () => new OpenAPIResponseValidator({ responses: spec.paths[pathKey][method].responses, components, customFormats }));
}

function schemaValidator(schemaName: string): Validator {
  return memo(`schema ${schemaName}`, () =>
    new OpenAPIResponseValidator({
      responses: { '200': { schema: { $ref: `#/components/schemas/${schemaName}` } } },
      components: adjustedComponents,
      customFormats,
    }),
  );
}

function assertValid(v: Validator, status: number, body: unknown, what: string): void {
  const problems = v.validateResponse(String(status), body);
  assert.equal(problems, undefined, `${what}: ${JSON.stringify(problems?.errors?.slice(0, 5))}`);
}

function assertInvalid(v: Validator, status: number, body: unknown, what: string): void {
  assert.notEqual(v.validateResponse(String(status), body), undefined, `${what} should break the spec as published`);
}

describe('simulator responses against the vendor OpenAPI (with the known real-world divergences)', () => {
  let t: TestSimulator;
  let url: string;
  let token: string;
  let alarms: any[];
  const get = (p: string) => call(`${url}${p}`, { token });

  before(async () => {
    t = await startTestSimulator({ alarmsPerDeployment: 150 }, 50);
    url = t.sim.deployments[0]!.url;
    token = await tokenFor(t.sim);
    alarms = (await get('/alarms?size=500')).body._embedded.alarms;
  });
  after(async () => {
    await t.sim.stop();
  });

  it('answers the token endpoint with a TokenResponse and its 401 with an ErrorResponse', async () => {
    const v = validator('/oauth/token', 'post');
    const d = t.sim.deployments[0]!;
    const granted = await call(`${url}/oauth/token?grant_type=client_credentials`, {
      method: 'POST',
      authorization: basicAuth(d.clientId, d.clientSecret),
    });
    assertValid(v, granted.status, granted.body, 'token');
    const refused = await call(`${url}/oauth/token?grant_type=client_credentials`, { method: 'POST' });
    assert.equal(refused.status, 401);
    assertValid(v, 401, refused.body, 'token 401');
    // The spec lists no 401 for /alarms; the body is the same ErrorResponse.
    const unauthorized = await call(`${url}/alarms`, { token: 'unknown' });
    assert.equal(unauthorized.status, 401);
    assertValid(v, 401, unauthorized.body, '/alarms 401');
  });

  it('answers alarm pages, full and empty, as AlarmPage', async () => {
    const v = validator('/alarms', 'get');
    assertValid(v, 200, (await get('/alarms?size=500')).body, 'page of 500');
    assertValid(v, 200, (await get('/alarms?size=3&page=2&status=open')).body, 'filtered page');
    const empty = (await get('/alarms?size=3&page=999')).body;
    assertValid(v, 200, empty, 'page past the end');
  });

  it('answers alarm details as Alarm, whichever event shape the alarm has, and 404 as ErrorResponse', async () => {
    const v = validator('/alarms/{alarmId}', 'get');
    const flat = alarms.find((a) => !('message' in a.events[0]));
    const wrapped = alarms.find((a) => 'message' in a.events[0]);
    for (const alarm of [flat, wrapped]) assertValid(v, 200, (await get(`/alarms/${alarm.uuid}`)).body, alarm.uuid);
    const missing = await get('/alarms/00000000-0000-0000-0000-000000000000');
    assert.equal(missing.status, 404);
    assertValid(v, 404, missing.body, 'alarm 404');
  });

  it('answers labels as AlarmLabels and label writes with the documented bodiless 200', async () => {
    const alarm = alarms[0];
    const labels = await get(`/alarms/${alarm.uuid}/labels`);
    assertValid(validator('/alarms/{alarmId}/labels', 'get'), 200, labels.body, 'labels');
    const put = await call(`${url}/alarms/${alarm.uuid}/labels/lbl-escalated`, { method: 'PUT', token });
    assertValid(validator('/alarms/{alarmId}/labels/{labelId}', 'put'), put.status, put.body, 'label PUT');
    const del = await call(`${url}/alarms/${alarm.uuid}/labels/lbl-escalated`, { method: 'DELETE', token });
    assertValid(validator('/alarms/{alarmId}/labels/{labelId}', 'delete'), del.status, del.body, 'label DELETE');
  });

  it('answers event pages as EventPage and events as Event', async () => {
    const page = (await get('/events?size=50')).body;
    assertValid(validator('/events', 'get'), 200, page, 'event page');
    assertValid(validator('/events', 'get'), 200, (await get('/events?page=9999')).body, 'empty event page');
    const event = (await get(`/events/${page._embedded.eventResources[0].uuid}`)).body;
    assertValid(validator('/events/{eventId}', 'get'), 200, event, 'event');
  });

  it('carries an Anywhere Alarm inside each Central alarm', async () => {
    const centralToken = await tokenFor(t.sim, 'central');
    const page = (await call(`${t.sim.central.url}/alarms?size=100`, { token: centralToken })).body;
    for (const item of page._embedded.alarms) assertValid(schemaValidator('Alarm'), 200, item.alarm, item.id);
  });

  describe('every divergence is still needed: the spec as published rejects', () => {
    it('an empty page without _embedded', async () => {
      assertInvalid(validator('/alarms', 'get', vendorComponents), 200, (await get('/alarms?page=999')).body, 'empty page');
    });

    it('an event page under _embedded.eventResources', async () => {
      assertInvalid(validator('/events', 'get', vendorComponents), 200, (await get('/events?size=5')).body, 'event page');
    });

    it('an alarm whose events are wrapped under message', async () => {
      const wrapped = alarms.find((a) => 'message' in a.events[0]);
      assertInvalid(validator('/alarms/{alarmId}', 'get', vendorComponents), 200, wrapped, 'wrapped events');
    });

    it('labels that are not UUIDs', async () => {
      const labelled = alarms.find((a) => a.alarm_labels.some((l: string) => !UUID.test(l)));
      assert.ok(labelled, 'some generated alarm carries a non-UUID label');
      const labels = (await get(`/alarms/${labelled.uuid}/labels`)).body;
      assertInvalid(validator('/alarms/{alarmId}/labels', 'get', vendorComponents), 200, labels, 'labels');
    });

    it('(but not an alarm with flat events, which the spec describes as is)', async () => {
      const flat = alarms.find((a) => !('message' in a.events[0]));
      assertValid(validator('/alarms/{alarmId}', 'get', vendorComponents), 200, flat, 'flat alarm');
    });
  });
});
