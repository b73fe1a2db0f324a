/**
 * Which USM upstreams the facade talks to: the configured ones, or, when none is
 * configured, the embedded USM simulator's (started here, so `npm start` serves on a
 * fresh machine). The caller stops the simulator it gets back.
 */
import type { UpstreamConfig } from '../config/upstreams.settings.js';
import type { UpstreamTarget } from '../config/upstream.target.js';
import type { Logger } from '../log/logger.js';
import { startSimulator, type RunningSimulator } from '../simulator/simulator.js';

export interface ResolvedUpstreams {
  targets: UpstreamTarget[];
  /** The embedded simulator, when no upstream was configured. */
  simulator: RunningSimulator | undefined;
}

export async function resolveUpstreams(upstream: UpstreamConfig, logger: Logger): Promise<ResolvedUpstreams> {
  if (upstream.mode === 'configured') {
    const { central, deployments } = upstream;
    return { targets: central === undefined ? deployments : [...deployments, central], simulator: undefined };
  }
  const simulator = await startSimulator({ port: upstream.simulatorPort });
  logger.info(
    { simulator: simulator.url, central: simulator.central.url, deployments: simulator.deployments.map((d) => d.url) },
    'no upstream configured (USM_ANYWHERE_* / USM_CENTRAL_*): using the embedded USM simulator',
  );
  const targets: UpstreamTarget[] = [
    ...simulator.deployments.map(({ name, url, clientId, clientSecret }) => ({ api: 'anywhere' as const, name, url, clientId, clientSecret })),
    { api: 'central', name: 'central', url: simulator.central.url, clientId: simulator.central.clientId, clientSecret: simulator.central.clientSecret },
  ];
  return { targets, simulator };
}
