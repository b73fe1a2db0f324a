/**
 * `npm run schema`: writes the subgraph SDL `npm start` serves to `schema/schema.graphql`,
 * and the supergraph the compose file's router serves to `deploy/hive-gateway/`. A test
 * fails when either committed file differs, so a schema change is a conscious act.
 */
import { writeFile } from 'node:fs/promises';
import { committedSdl, SCHEMA_FILE } from './schema.file.js';
import { committedSupergraph, SUPERGRAPH_FILE } from './supergraph.file.js';

await writeFile(SCHEMA_FILE, committedSdl(), 'utf8');
console.log(`wrote ${SCHEMA_FILE}`);
await writeFile(SUPERGRAPH_FILE, committedSupergraph(), 'utf8');
console.log(`wrote ${SUPERGRAPH_FILE}`);
