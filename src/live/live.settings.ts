/**
 * Live subscriptions: how often their groups poll, and how many a client may hold.
 * Declared once here; `config.ts` reads them into `Config.live`, and a `LiveHub` given
 * no interval or limit uses `LIVE_CONFIG_DEFAULTS`, these defaults parsed.
 */
import { defaultsOf, milliseconds, setting, wholeNumber, type ValuesOf } from '../config/setting.js';

export const LIVE_SETTINGS = {
  pollIntervalMs: setting({
    env: 'LIVE_POLL_INTERVAL_MS',
    default: '5000',
    schema: milliseconds(100),
    doc:
      'Each live group (subscribers with the same arguments) polls once per interval, plus up to 10% jitter; a round the ' +
      'budget cannot serve is skipped and the interval doubles, up to 4×.',
  }),
  maxSubscriptionsPerKey: setting({
    env: 'LIVE_MAX_SUBSCRIPTIONS_PER_KEY',
    default: '100',
    schema: wholeNumber(1, 100_000),
    doc: 'Open subscriptions of one API key, every replica together (counted in Redis with REDIS_URL).',
  }),
  maxGroups: setting({
    env: 'LIVE_MAX_GROUPS',
    default: '1000',
    schema: wholeNumber(1, 1_000_000),
    doc: 'Distinct live queries one replica polls or follows; past it a subscribe gets LIMIT_EXCEEDED.',
  }),
};

export type LiveConfig = ValuesOf<typeof LIVE_SETTINGS>;

export const LIVE_CONFIG_DEFAULTS: Readonly<LiveConfig> = defaultsOf(LIVE_SETTINGS);
