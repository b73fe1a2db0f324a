/**
 * A representative run of the server, every log line at `debug` and every error body
 * kept: API keys good, malformed, wrong, rotated, reset and revoked; upstream credentials
 * rotated and refused; upstream 429s, 5xx, a dead token endpoint and revoked tokens;
 * requests that are no GraphQL. None of the secrets involved may show in any of it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { formatApiKey, newSecret, parseApiKey } from '../../src/keys/api-key.format.js';
import { REQUEST_LOG_MESSAGE } from '../../src/observability/request.log.js';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import type { GraphQLResponse } from '../support/graphql.client.js';
import { captureLogs } from '../upstream/credential.fixture.js';
import { bearer, CREATE, dataOf, RESET, REVOKE, ROTATE, type Created } from '../apikey/apikey.fixture.js';
import { ACCESS_TOKEN, findSecrets, knownSecrets, sampleAccessToken, type SecretCheck } from './secrets.fixture.js';

const PAGE = 'query Page($deployment: String!) { alarms(deployment: $deployment, first: 2) { edges { node { uuid } } } }';
const ROTATE_CREDENTIALS = `mutation($input: [UpstreamCredentialInput!]!) {
  rotateUpstreamCredentials(input: $input) { entries { deployment status errorCode message } }
}`;

describe('secrets in logs, error bodies and spans', () => {
  const logs = captureLogs();
  const spans = new InMemorySpanExporter();
  let facade: TestFacade;
  let check: SecretCheck;
  /** Every error body answered: the `errors` of GraphQL answers, whole bodies of other failures. */
  const errorBodies: string[] = [];

  const keep = (response: GraphQLResponse): GraphQLResponse => {
    if (response.body.errors !== undefined) errorBodies.push(JSON.stringify(response.body.errors));
    if (response.status >= 400) errorBodies.push(JSON.stringify(response.body));
    return response;
  };
  const gql = async (query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    keep(await facade.gql(query, variables, headers));
  const raw = async (body: string, headers: Record<string, string>) => {
    const response = await fetch(facade.url, { method: 'POST', headers: { authorization: `Bearer ${facade.adminKey}`, ...headers }, body });
    errorBodies.push(await response.text());
  };
  const sim = (path: string, body?: Record<string, unknown>, method = 'POST') =>
    fetch(`${facade.simulatorUrl}/__sim${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const keySecrets = (key: string) => {
    const parsed = parseApiKey(key);
    assert.ok(parsed.ok);
    check.literals.set(`API key ${parsed.id}`, key);
    check.literals.set(`secret part of API key ${parsed.id}`, parsed.secret);
  };

  before(async () => {
    facade = await startTestFacade(
      {
        FACADE_SECRET_KEY: randomBytes(32).toString('hex'),
        CREDENTIAL_POLL_INTERVAL_MS: '0',
        CACHE_PAGE_TTL_MS: '0',
        UPSTREAM_RETRY_MAX_ATTEMPTS: '2',
        UPSTREAM_RETRY_BASE_DELAY_MS: '0',
      },
      { facade: { logger: logs.logger, tracing: { exporter: spans } } },
    );
    check = knownSecrets(facade);
    keySecrets(facade.adminKey);
  });
  after(async () => {
    await sim('/faults', undefined, 'DELETE');
    await facade.stop();
  });

  it('recognises each kind of secret it looks for, so a leak would fail the checks below', () => {
    const leaked = [...check.literals.values()].join(' ');
    assert.equal(findSecrets(leaked, check).length >= check.literals.size, true);
    assert.deepEqual(findSecrets('all clear: keyId JuqeTISHCLom, deployment acme-east, GET /alarms/{id}', check), []);
    assert.equal(findSecrets('authorization: Bearer abcdefghijkl', { literals: new Map() }).length, 1);
  });

  it('runs the representative workload', async () => {
    const token = await sampleAccessToken(facade, 'acme-lab');
    assert.match(token, ACCESS_TOKEN);
    check.literals.set('an access token of acme-lab', token);

    // Reads with the admin key; then keys that do not authenticate.
    assert.equal((await gql(PAGE, { deployment: 'acme-east' })).status, 200);
    await gql('{ viewer { id } }', {}, bearer('usmf_not-a-key'));
    const admin = parseApiKey(facade.adminKey);
    assert.ok(admin.ok);
    const wrongSecret = formatApiKey(admin.id, newSecret());
    keySecrets(wrongSecret);
    assert.equal((await gql('{ viewer { id } }', {}, bearer(wrongSecret))).status, 401);
    await gql('{ viewer { id } }', {}, { authorization: '' });

    // A key's life: created, used, rotated, reset, revoked, each secret tried after.
    const created = dataOf(await gql(CREATE, { input: { name: 'secrets-test', permissions: ['ALARMS_READ'] } })) as { createApiKey: Created };
    const first = created.createApiKey.secret;
    keySecrets(first);
    const id = created.createApiKey.key.id;
    assert.equal((await gql(PAGE, { deployment: 'acme-west' }, bearer(first))).status, 200);
    const rotated = dataOf(await gql(ROTATE, { id, gracePeriod: 'PT1H' })) as { rotateApiKey: Created };
    const second = rotated.rotateApiKey.secret;
    keySecrets(second);
    await gql('{ viewer { id } }', {}, bearer(first));
    const reset = dataOf(await gql(RESET, { id })) as { resetApiKey: Created };
    const third = reset.resetApiKey.secret;
    keySecrets(third);
    assert.equal((await gql('{ viewer { id } }', {}, bearer(second))).status, 401);
    // A permission it lacks, then revoked.
    await gql('{ apiKeys { id } }', {}, bearer(third));
    await gql(REVOKE, { id });
    assert.equal((await gql('{ viewer { id } }', {}, bearer(third))).status, 401);

    // Upstream credentials: a new client for acme-west, then a secret the simulator refuses.
    const client = (await (await sim('/clients', { deployment: 'acme-west' })).json()) as { clientId: string; clientSecret: string };
    check.literals.set(`client secret of ${client.clientId}`, client.clientSecret);
    const good = await gql(ROTATE_CREDENTIALS, { input: [{ deployment: 'acme-west', ...client }] });
    assert.equal(JSON.stringify(good.body.data).includes('ROTATED'), true, JSON.stringify(good.body));
    const refusedSecret = `refused-${randomBytes(12).toString('hex')}`;
    check.literals.set('a client secret the simulator refuses', refusedSecret);
    await gql(ROTATE_CREDENTIALS, { input: [{ deployment: 'acme-lab', clientId: 'acme-lab-client', clientSecret: refusedSecret }] });
    assert.equal((await gql(PAGE, { deployment: 'acme-west' })).status, 200);

    // Upstream trouble: 429s, 5xx, revoked tokens, a dead token endpoint.
    await sim('/faults', { deployment: 'acme-east', errorStatus: 429, retryAfterSeconds: 0 });
    await gql(PAGE, { deployment: 'acme-east' });
    await sim('/faults', { deployment: 'acme-east', errorStatus: 503, retryAfterSeconds: null });
    await gql(PAGE, { deployment: 'acme-east' });
    await sim('/faults', undefined, 'DELETE');
    await sim('/tokens/revoke', { deployment: 'acme-east' });
    assert.equal((await gql(PAGE, { deployment: 'acme-east' })).status, 200);
    await sim('/tokens/revoke', { deployment: 'acme-lab' });
    await sim('/faults', { deployment: 'acme-lab', tokenEndpointDown: true });
    await gql(PAGE, { deployment: 'acme-lab' });
    await sim('/faults', undefined, 'DELETE');

    // Requests that are no GraphQL, and documents that do not run.
    await raw('{"query": ', { 'content-type': 'application/json' });
    await raw('query=x', { 'content-type': 'application/x-www-form-urlencoded' });
    await gql('{ alarms(deployment: "acme-east" first: 1) { edges { cursor } ');
    await gql('{ alarms(deployment: "nowhere", first: 1) { edges { cursor } } }');

    assert.ok(errorBodies.length >= 15, `only ${errorBodies.length} error bodies`);
    const lines = logs.text().split('\n').filter((line) => line !== '');
    // The run exercised what it means to: request lines, retries, a refused rotation.
    assert.ok(lines.filter((line) => line.includes(REQUEST_LOG_MESSAGE)).length >= 20);
    assert.ok(lines.some((line) => line.includes('retrying upstream request')));
    assert.ok(lines.some((line) => line.includes('upstream credential rotation failed')));
  });

  it('finds no secret, token or key in any log line', () => {
    const found = logs
      .text()
      .split('\n')
      .flatMap((line) => findSecrets(line, check).map((what) => `${what} in ${line.slice(0, 300)}`));
    assert.deepEqual(found, []);
  });

  it('finds none in any error body', () => {
    const found = errorBodies.flatMap((body) => findSecrets(body, check).map((what) => `${what} in ${body.slice(0, 300)}`));
    assert.deepEqual(found, []);
  });

  it('finds none in any span', () => {
    const finished = spans.getFinishedSpans();
    assert.ok(finished.length > 20);
    const found = finished.flatMap((span) => {
      const text = JSON.stringify({ name: span.name, attributes: span.attributes, status: span.status, events: span.events });
      return findSecrets(text, check).map((what) => `${what} in ${span.name}`);
    });
    assert.deepEqual(found, []);
  });
});
