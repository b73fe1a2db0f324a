/**
 * Where the committed SDL lives (`<repo>/schema/schema.graphql`), and what it holds: the
 * SDL `npm start` serves in `_service`, whose cost directives are for the upstreams it
 * has then, the embedded simulator's default deployments (each read with credentials of
 * its own, and listed by its Central). A facade with other upstreams serves other weights.
 */
import path from 'node:path';
import { PACKAGE_ROOT } from '../config/package.root.js';
import { CACHE_TTL_DEFAULTS } from '../loaders/cache.settings.js';
import { DEFAULT_DEPLOYMENTS } from '../simulator/simulator.js';
import { buildFacadeSchema } from './schema.builder.js';
import { fieldCostRules, type UpstreamTopology } from './cost.rules.js';
import { costedSdl } from './cost.directives.js';

export const SCHEMA_FILE = path.join(PACKAGE_ROOT, 'schema', 'schema.graphql');

/** The SDL `schema/schema.graphql` must hold (`npm run schema` writes it). */
export function committedSdl(): string {
  const { schema, sdl } = buildFacadeSchema();
  const topology: UpstreamTopology = {
    readable: DEFAULT_DEPLOYMENTS,
    central: true,
    knownDeployments: () => DEFAULT_DEPLOYMENTS.length,
    sharesPages: CACHE_TTL_DEFAULTS.page > 0,
  };
  return costedSdl({ schema, sdl, topology, rules: fieldCostRules(topology) });
}
