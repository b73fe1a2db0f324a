import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { createClient } from 'graphql-ws';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import type { DeploymentsQuery } from '../generated/graphql.js';

describe('the facade server against the embedded simulator', () => {
  let facade: TestFacade;
  before(async () => {
    facade = await startTestFacade();
  });
  after(async () => {
    await facade.stop();
  });

  it('lists the three simulated deployments', async () => {
    const { status, body } = await facade.gql<{ deployments: Array<{ name: string; hasCredentials: boolean }> }>('{ deployments { name hasCredentials } }',
    );
    assert.equal(status, 200);
    assert.equal(body.errors, undefined);
    assert.deepEqual(body.data?.deployments, [
      { name: 'acme-east', hasCredentials: true },
      { name: 'acme-lab', hasCredentials: true },
      { name: 'acme-west', hasCredentials: true },
    ]);
  });

  it('finds one deployment by name and answers null for an unknown one', async () => {
    const { body } = await facade.gql('{ east: deployment(name: "acme-east") { name } nope: deployment(name: "nope") { name } }',
    );
    assert.deepEqual(body.data, { east: { name: 'acme-east' }, nope: null });
  });

  it('answers without an ETag, which no GraphQL client revalidates', async () => {
    const response = await fetch(facade.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${facade.adminKey}` },
      body: JSON.stringify({ query: '{ deployments { name } }' }),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('etag'), null);
    assert.match(response.headers.get('content-type') ?? '', /^application\/(graphql-response\+)?json/);
  });

  it('answers /healthz with 200 while serving', async () => {
    const response = await fetch(new URL('/healthz', facade.url));
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
  });

  it('serves the subgraph SDL through _service for a federation gateway', async () => {
    const { body } = await facade.gql<{ _service: { sdl: string } }>('{ _service { sdl } }');
    assert.match(body.data!._service.sdl, /type Deployment implements Node\s+@key\(fields: "id"\)/);
  });

  it('resolves Deployment entity references by id', async () => {
    const { body: listed } = await facade.gql<{ deployments: Array<{ id: string; name: string }> }>('{ deployments { id name } }',
    );
    const west = listed.data!.deployments.find((d) => d.name === 'acme-west')!;
    const { body } = await facade.gql('query($r: [_Any!]!) { _entities(representations: $r) { ... on Deployment { name } } }',
      { r: [{ __typename: 'Deployment', id: west.id }] },
    );
    assert.deepEqual(body.data, { _entities: [{ name: 'acme-west' }] });
  });

  it('rejects an invalid query with 400 and a code, without a stack trace', async () => {
    const { status, body } = await facade.gql('{ deployments { nope } }');
    assert.equal(status, 400);
    assert.equal(body.errors?.[0]?.extensions?.['code'], 'GRAPHQL_VALIDATION_FAILED');
    assert.doesNotMatch(JSON.stringify(body), /stacktrace|at .*\.js:\d+/);
  });

  it('rejects a malformed entity id with BAD_USER_INPUT', async () => {
    const { body } = await facade.gql('query($r: [_Any!]!) { _entities(representations: $r) { ... on Deployment { name } } }',
      { r: [{ __typename: 'Deployment', id: '%%%' }] },
    );
    assert.equal(body.errors?.[0]?.extensions?.['code'], 'BAD_USER_INPUT');
  });

  it('serves a GraphiQL playground whose every script and style comes from this server', async () => {
    const page = await fetch(facade.url, { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /\/playground\/graphiql\.js/);
    // The icon is empty and inline, so the browser asks for no /favicon.ico.
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!).filter((url) => url !== 'data:,');
    assert.deepEqual(assets, [
      '/playground/graphiql.css',
      '/playground/playground.css',
      '/playground/react.js',
      '/playground/react-dom.js',
      '/playground/graphql-ws.js',
      '/playground/graphiql.js',
      '/playground/playground.js',
    ]);
    for (const asset of assets) {
      const response = await fetch(new URL(asset, facade.url));
      assert.equal(response.status, 200, asset);
      assert.ok((await response.arrayBuffer()).byteLength > 1000, `${asset} has content`);
    }
    assert.doesNotMatch(html, /https?:\/\//, 'no absolute URL: nothing is loaded from the internet');
  });

  it('answers operations over graphql-ws on the same /graphql path', async () => {
    const client = createClient({
      url: facade.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { Authorization: `Bearer ${facade.adminKey}` },
    });
    try {
      const result = await new Promise<unknown>((resolve, reject) => {
        let value: unknown;
        client.subscribe(
          { query: '{ deployments { name } }' },
          { next: (v) => (value = v), error: reject, complete: () => resolve(value) },
        );
      });
      const { cost } = (result as { extensions: { cost: { estimatedUpstreamCalls: number; actualUpstreamCalls: number; throttleStatus: unknown } } }).extensions;
      assert.deepEqual(result, {
        data: { deployments: [{ name: 'acme-east' }, { name: 'acme-lab' }, { name: 'acme-west' }] },
        // Central's deployment list, unless this facade's cache already holds it.
        extensions: { cost: { estimatedUpstreamCalls: 1, actualUpstreamCalls: cost.actualUpstreamCalls, resultNodes: 3, throttleStatus: cost.throttleStatus } },
      });
      assert.equal((cost.throttleStatus as { maximumAvailable: number }).maximumAvailable, 300);
      assert.ok(cost.actualUpstreamCalls <= 1);
    } finally {
      await client.dispose();
    }
  });
});
