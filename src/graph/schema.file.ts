/** Where the committed SDL lives: `<repo>/schema/schema.graphql`, found from this module (src/ or dist/src/). */
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import path from 'node:path';

function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}

export const SCHEMA_FILE = path.join(repoRoot(), 'schema', 'schema.graphql');
