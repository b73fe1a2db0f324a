/**
 * `/healthz` and `/readyz`, for the orchestrator; neither needs a key.
 *
 * Contract: `/healthz` answers 200 `{status: "ok"}` while serving and 503 `draining`
 * while the server drains (the process is alive). `/readyz` answers what `readiness`
 * reports (JSON checks, never a secret): 200 `ready`, or 503 `not ready` or `draining`.
 * A readiness check that throws is logged and answered as not ready.
 */
import type express from 'express';
import type { Logger } from '../log/logger.js';

export interface Readiness {
  ready: boolean;
  checks: Record<string, unknown>;
}

export interface HealthRoutesOptions {
  /** Whether the server is draining (stopping). */
  draining: () => boolean;
  /** Whether this replica can serve, and the checks that say so. Default: always ready. */
  readiness?: () => Promise<Readiness>;
  logger: Logger;
}

export function mountHealthRoutes(app: express.Express, { draining, readiness, logger }: HealthRoutesOptions): void {
  app.get('/healthz', (_req, res) => {
    res.status(draining() ? 503 : 200).json({ status: draining() ? 'draining' : 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const answer = (await readiness?.().catch((error: unknown) => {
      logger.error({ err: error }, 'readiness check failed unexpectedly');
      return { ready: false, checks: { error: 'the readiness check failed' } };
    })) ?? { ready: true, checks: {} };
    const ready = answer.ready && !draining();
    res.status(ready ? 200 : 503).json({ status: draining() ? 'draining' : ready ? 'ready' : 'not ready', ...answer.checks });
  });
}
