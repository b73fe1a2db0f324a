/**
 * How a replica drains after SIGTERM (see `shutdown.signals.ts`). Declared once here;
 * `config.ts` reads them into `Config.drain`.
 */
import { milliseconds, setting, type ValuesOf } from '../config/setting.js';

export const DRAIN_SETTINGS = {
  timeoutMs: setting({
    env: 'DRAIN_TIMEOUT_MS',
    default: '20000',
    schema: milliseconds(0),
    doc:
      'After SIGTERM, how long the replica may drain before it cuts what is left: `/readyz` answers 503 at once, ' +
      'subscribers get a last payload (SHUTTING_DOWN) and reconnect elsewhere, open requests finish, then it exits 0. ' +
      '20 s, plus a few seconds to close its stores, fits the 30 s Kubernetes grace period.',
  }),
  acceptMs: setting({
    env: 'DRAIN_ACCEPT_MS',
    default: '5000',
    schema: milliseconds(0),
    doc:
      'The first part of DRAIN_TIMEOUT_MS, during which the draining replica still accepts and answers new requests ' +
      '(`Connection: close`) while `/readyz` answers 503, so a load balancer that polls it stops sending before the ' +
      'listener closes; set it to the balancer’s probe interval. SIGINT (Ctrl-C) skips it.',
  }),
};

export type DrainConfig = ValuesOf<typeof DRAIN_SETTINGS>;

/** What the two settings cannot be together. */
export function drainProblems({ timeoutMs, acceptMs }: DrainConfig): string[] {
  return acceptMs > timeoutMs ? [`DRAIN_ACCEPT_MS: ${acceptMs} is part of DRAIN_TIMEOUT_MS and cannot be longer than it (${timeoutMs})`] : [];
}
