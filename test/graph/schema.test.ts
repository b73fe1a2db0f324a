import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { buildFacadeSchema } from '../../src/graph/schema.builder.js';
import { committedSdl, SCHEMA_FILE } from '../../src/graph/schema.file.js';

describe('schema/schema.graphql', () => {
  it('is exactly the SDL `npm start` serves, cost directives included (run `npm run schema` after a schema change)', async () => {
    const committed = await readFile(SCHEMA_FILE, 'utf8');
    assert.equal(committed, committedSdl());
  });

  it('is a Federation v2 subgraph with Deployment as an entity keyed by id', () => {
    const { sdl } = buildFacadeSchema();
    assert.match(sdl, /@link\(url: "https:\/\/specs\.apollo\.dev\/federation\/v2\.\d+"/);
    assert.match(sdl, /type Deployment implements Node\s+@key\(fields: "id"\)/);
  });
});
