/** Where the committed SDL lives: `<repo>/schema/schema.graphql`. */
import path from 'node:path';
import { PACKAGE_ROOT } from '../config/package.root.js';

export const SCHEMA_FILE = path.join(PACKAGE_ROOT, 'schema', 'schema.graphql');
