/**
 * Where this checkout lives: the folder holding its package.json, found from this
 * module whether it runs from `src/` or from `dist/src/`. Files the facade ships beside
 * its code (the committed SDL, the example operations, the playground's script) are
 * found from here, never from the working directory.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}

export const PACKAGE_ROOT = packageRoot();
