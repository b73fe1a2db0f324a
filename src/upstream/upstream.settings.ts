/**
 * How the facade treats its upstreams: timeouts, retries, the circuit breaker, the rate
 * budget and the parsed-document memo. Each setting is declared here once (variable,
 * default, rule, doc); `config.ts` reads them into `Config.upstreamTuning`, and the
 * clients and budgets that take no tuning fall back to `UPSTREAM_TUNING_DEFAULTS`,
 * which are these defaults parsed.
 */
import { z } from 'zod';
import { defaultsOf, milliseconds, setting, wholeNumber, type ValuesOf } from '../config/setting.js';

const SHARE_RULE = 'must be greater than 0 and at most 1, e.g. 0.95';

export const UPSTREAM_TUNING_SETTINGS = {
  connectTimeoutMs: setting({
    env: 'UPSTREAM_CONNECT_TIMEOUT_MS',
    default: '5000',
    schema: milliseconds(1),
    doc: 'Time to open a TCP/TLS connection.',
  }),
  requestTimeoutMs: setting({
    env: 'UPSTREAM_REQUEST_TIMEOUT_MS',
    default: '15000',
    schema: milliseconds(1),
    doc: 'From sending one attempt to its whole response body.',
  }),
  retryMaxAttempts: setting({
    env: 'UPSTREAM_RETRY_MAX_ATTEMPTS',
    default: '5',
    schema: wholeNumber(1, 20),
    doc:
      'Attempts per idempotent request, the first included (1 turns retries off). Five attempts make a call ' +
      'fail at a 30% upstream error rate about once in 400.',
  }),
  retryBaseDelayMs: setting({
    env: 'UPSTREAM_RETRY_BASE_DELAY_MS',
    default: '100',
    schema: milliseconds(0),
    doc: 'First ceiling of the full-jitter exponential backoff.',
  }),
  retryMaxDelayMs: setting({
    env: 'UPSTREAM_RETRY_MAX_DELAY_MS',
    default: '5000',
    schema: milliseconds(0),
    doc: 'Largest backoff between two attempts; not below UPSTREAM_RETRY_BASE_DELAY_MS.',
  }),
  breakerThreshold: setting({
    env: 'UPSTREAM_BREAKER_THRESHOLD',
    default: '5',
    schema: wholeNumber(1, 1000),
    doc: "Consecutive failed requests that open an upstream's breaker.",
  }),
  breakerHalfOpenAfterMs: setting({
    env: 'UPSTREAM_BREAKER_HALF_OPEN_AFTER_MS',
    default: '10000',
    schema: milliseconds(1),
    doc: 'How long an open breaker refuses before one probe.',
  }),
  budgetShare: setting({
    env: 'UPSTREAM_BUDGET_SHARE',
    default: '0.95',
    schema: z.coerce.number({ message: `must be a number greater than 0 and at most 1, e.g. 0.95` }).gt(0, SHARE_RULE).max(1, SHARE_RULE),
    doc: "The share of USM's 100 GET / 50 POST per second the facade uses; the rest is headroom for other users of the credential.",
  }),
  budgetWindowMarginMs: setting({
    env: 'UPSTREAM_BUDGET_WINDOW_MARGIN_MS',
    default: '10',
    schema: wholeNumber(0, 1000),
    doc:
      "Added to USM's 1000 ms window for clocks that tick at slightly different rates and millisecond rounding " +
      '(latency is covered otherwise: a request holds its slot until one window after its answer).',
  }),
  queueMaxWaitMs: setting({
    env: 'UPSTREAM_QUEUE_MAX_WAIT_MS',
    default: '10000',
    schema: milliseconds(0),
    doc: 'A caller of a query or mutation (work class `INTERACTIVE`) whose expected wait for the budget is longer gets `UPSTREAM_RATE_LIMITED` at once.',
  }),
  liveMaxWaitMs: setting({
    env: 'UPSTREAM_LIVE_MAX_WAIT_MS',
    default: '2000',
    schema: milliseconds(0),
    doc: 'The longest a subscription poll (work class `LIVE`) waits for the budget; one that would wait longer is told at once and skips its round.',
  }),
  backgroundMaxWaitMs: setting({
    env: 'UPSTREAM_BACKGROUND_MAX_WAIT_MS',
    default: '5000',
    schema: milliseconds(0),
    doc: "The same for the facade's own `BACKGROUND` work (prefetch, schedulers).",
  }),
  parsedDocuments: setting({
    env: 'UPSTREAM_PARSED_DOCUMENTS',
    default: '1000',
    schema: wholeNumber(0, 100_000),
    doc:
      'Documents of list pages kept parsed per upstream, by their exact bytes, so one that comes back unchanged ' +
      '(a polled page) is not parsed and read again; 0 turns this off.',
  }),
};

/** Timeouts, retries, breaker, budget and memo for every upstream; each field's setting above. */
export type UpstreamTuning = ValuesOf<typeof UPSTREAM_TUNING_SETTINGS>;

export const UPSTREAM_TUNING_DEFAULTS: Readonly<UpstreamTuning> = defaultsOf(UPSTREAM_TUNING_SETTINGS);

/** What the settings cannot say one at a time. */
export function upstreamTuningProblems(tuning: UpstreamTuning): string[] {
  return tuning.retryMaxDelayMs < tuning.retryBaseDelayMs
    ? [`${UPSTREAM_TUNING_SETTINGS.retryMaxDelayMs.env}: must not be smaller than ${UPSTREAM_TUNING_SETTINGS.retryBaseDelayMs.env}`]
    : [];
}
