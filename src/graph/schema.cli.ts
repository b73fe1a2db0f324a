/**
 * `npm run schema`: writes the subgraph SDL `npm start` serves to `schema/schema.graphql`.
 * A test fails when the committed file differs, so a schema change is a conscious act.
 */
import { writeFile } from 'node:fs/promises';
import { committedSdl, SCHEMA_FILE } from './schema.file.js';

await writeFile(SCHEMA_FILE, committedSdl(), 'utf8');
console.log(`wrote ${SCHEMA_FILE}`);
