/**
 * How the process stops.
 *
 * Contract: on SIGTERM the facade drains as `DRAIN_TIMEOUT_MS` and `DRAIN_ACCEPT_MS` say
 * (`/readyz` 503 at once, subscribers told to go elsewhere, new requests still answered for
 * the accept time, open ones finished, see `facade.server.ts`), then closes everything it
 * opened in reverse order and exits 0. SIGINT (Ctrl-C in a terminal, where no balancer
 * needs time to notice) drains the same way without the accept time. The process exits 1
 * when stopping fails, or when it takes longer than the drain plus `CLOSE_MARGIN_MS` (a
 * close that hangs must not keep it). A second signal while stopping changes nothing.
 */
import type { Logger } from '../log/logger.js';
import { systemClock } from '../time/clock.js';
import type { DrainConfig } from './drain.settings.js';
import type { DrainPlan } from './facade.server.js';

/** What closing the stores, pollers and exporters may take after the drain. */
export const CLOSE_MARGIN_MS = 5_000;

/** The longest a stop can take before the process exits anyway (the manifests' grace periods are checked against it). */
export const stopLimitMs = (drain: DrainConfig): number => drain.timeoutMs + CLOSE_MARGIN_MS;

export function stopOnSignals(stop: (plan: DrainPlan) => Promise<void>, drain: DrainConfig, logger: Logger): void {
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const plan = { acceptMs: signal === 'SIGTERM' ? drain.acceptMs : 0, timeoutMs: drain.timeoutMs };
    logger.info({ signal, ...plan }, 'stopping: draining (readiness 503, subscribers told to reconnect elsewhere, open requests finish)');
    const limitMs = stopLimitMs(drain);
    systemClock.schedule(limitMs, () => {
      logger.error(`shutdown took longer than ${limitMs / 1000} s; exiting`);
      process.exit(1);
    });
    stop(plan).then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}
