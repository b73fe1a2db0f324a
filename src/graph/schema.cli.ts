/**
 * `npm run schema`: writes the subgraph SDL the code builds to `schema/schema.graphql`.
 * A test fails when the committed file differs, so a schema change is a conscious act.
 */
import { writeFile } from 'node:fs/promises';
import { buildFacadeSchema } from './schema.builder.js';
import { SCHEMA_FILE } from './schema.file.js';

await writeFile(SCHEMA_FILE, buildFacadeSchema().sdl, 'utf8');
console.log(`wrote ${SCHEMA_FILE}`);
