/**
 * How the process stops: on SIGTERM or SIGINT it drains (in-flight operations finish,
 * connections close, everything opened is closed in reverse order) and exits 0; it exits 1
 * when stopping fails or takes longer than `limitMs` (a drain that hangs must not keep
 * the process). A second signal while stopping changes nothing.
 */
import type { Logger } from '../log/logger.js';
import { systemClock } from '../time/clock.js';

/** How long a drain may take before the process exits anyway (the manifests' grace periods are checked against it). */
export const STOP_LIMIT_MS = 10_000;

export function stopOnSignals(stop: () => Promise<void>, logger: Logger, limitMs = STOP_LIMIT_MS): void {
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: draining in-flight operations');
    systemClock.schedule(limitMs, () => {
      logger.error(`shutdown took longer than ${limitMs / 1000} s; exiting`);
      process.exit(1);
    });
    stop().then(
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
