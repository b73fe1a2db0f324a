/**
 * The supergraph the compose file's router serves (`deploy/hive-gateway/supergraph.graphql`):
 * the committed SDL (`schema.file.ts`) as subgraph `usm` behind the compose front, composed
 * by The Guild's composition, what Hive's tooling composes with. `npm run schema` writes
 * it with `schema/schema.graphql`; a test fails when the committed file differs.
 *
 * Development only: the composition is a devDependency, and nothing the facade runs
 * imports this module. `composeSupergraph` throws with every composition error.
 */
import path from 'node:path';
import { parse } from 'graphql';
import { composeServices } from '@theguild/federation-composition';
import { PACKAGE_ROOT } from '../config/package.root.js';
import { committedSdl } from './schema.file.js';

export const SUPERGRAPH_FILE = path.join(PACKAGE_ROOT, 'deploy', 'hive-gateway', 'supergraph.graphql');
/** Where the router of `deploy/docker-compose.yml` reaches the facade replicas: their round-robin front. */
export const COMPOSE_FACADE_URL = 'http://front:4000/graphql';

export interface Subgraph {
  name: string;
  url: string;
  sdl: string;
}

/** The supergraph SDL of `subgraphs`. */
export function composeSupergraph(subgraphs: readonly Subgraph[]): string {
  const result = composeServices(subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) })));
  if (result.errors !== undefined && result.errors.length > 0) {
    throw new Error(`composition failed:\n${result.errors.map((error) => error.message).join('\n')}`);
  }
  if (result.supergraphSdl === undefined) throw new Error('composition gave no supergraph');
  return result.supergraphSdl;
}

/** What `deploy/hive-gateway/supergraph.graphql` must hold. */
export function committedSupergraph(): string {
  return composeSupergraph([{ name: 'usm', url: COMPOSE_FACADE_URL, sdl: committedSdl() }]);
}
