/**
 * How long cached upstream answers are kept, in ms; 0 turns caching of that kind off.
 * Declared once here; `config.ts` reads them into `Config.cacheTtls`, and a
 * `DocumentCache` given no TTLs uses `CACHE_TTL_DEFAULTS`, these defaults parsed.
 */
import { defaultsOf, milliseconds, setting, type ValuesOf } from '../config/setting.js';

export const CACHE_TTL_SETTINGS = {
  alarm: setting({
    env: 'CACHE_ALARM_TTL_MS',
    default: '30000',
    schema: milliseconds(0),
    doc: 'Alarm documents: labels and status change upstream.',
  }),
  event: setting({
    env: 'CACHE_EVENT_TTL_MS',
    default: '300000',
    schema: milliseconds(0),
    doc: 'Event documents: events do not change.',
  }),
  page: setting({
    env: 'CACHE_PAGE_TTL_MS',
    default: '2000',
    schema: milliseconds(0),
    doc: 'List pages, per replica: absorbs dashboards that poll the same page together; dropped at once by a label write.',
  }),
  deployments: setting({
    env: 'CACHE_DEPLOYMENTS_TTL_MS',
    default: '60000',
    schema: milliseconds(0),
    doc: "Central's deployment list.",
  }),
};

export type CacheTtls = ValuesOf<typeof CACHE_TTL_SETTINGS>;

export const CACHE_TTL_DEFAULTS: Readonly<CacheTtls> = defaultsOf(CACHE_TTL_SETTINGS);
