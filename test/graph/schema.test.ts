import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { buildFacadeSchema } from '../../src/graph/schema.builder.js';
import { committedSdl, SCHEMA_FILE } from '../../src/graph/schema.file.js';
import { committedSupergraph, SUPERGRAPH_FILE } from '../../src/graph/supergraph.file.js';

describe('schema/schema.graphql', () => {
  it('is exactly the SDL `npm start` serves, cost directives included (run `npm run schema` after a schema change)', async () => {
    const committed = await readFile(SCHEMA_FILE, 'utf8');
    assert.equal(committed, committedSdl());
  });

  it('composes into deploy/hive-gateway/supergraph.graphql, the supergraph the compose router serves (`npm run schema` writes both)', async () => {
    const committed = await readFile(SUPERGRAPH_FILE, 'utf8');
    assert.equal(committed, committedSupergraph());
    assert.match(committed, /@cost\(weight: \d+\)/, 'the router reads the facade’s cost');
  });

  it('is a Federation v2 subgraph with Deployment as an entity keyed by id', () => {
    const { sdl } = buildFacadeSchema();
    assert.match(sdl, /@link\(url: "https:\/\/specs\.apollo\.dev\/federation\/v2\.\d+"/);
    assert.match(sdl, /type Deployment implements Node\s+@key\(fields: "id"\)/);
  });
});
