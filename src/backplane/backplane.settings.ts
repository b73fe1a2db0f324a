/**
 * Whether replicas share state through Redis, and under which key prefix. Declared once
 * here; `config.ts` reads them into `Config.redisUrl` and `Config.redisPrefix`.
 */
import { z } from 'zod';
import { defaultOf, setting, type ValuesOf } from '../config/setting.js';

export const BACKPLANE_SETTINGS = {
  redisUrl: setting({
    env: 'REDIS_URL',
    schema: z.string().regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379'),
    doc: 'When set, tokens, quota windows, caches, API keys, locks and pubsub are shared through Redis; unset: this process alone.',
  }),
  redisPrefix: setting({
    env: 'REDIS_PREFIX',
    default: 'usm-facade:',
    schema: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9:_.-]{0,63}$/, 'must be 1–64 letters, digits, ":", "_", "." or "-", e.g. usm-facade:'),
    doc:
      "Begins every Redis key and channel the facade uses. Replicas of one facade share it; facades that must not see each other's " +
      'keys, tokens and caches on one Redis use different ones.',
  }),
};

export type BackplaneConfig = ValuesOf<typeof BACKPLANE_SETTINGS>;

/** The prefix when none is given. */
export const DEFAULT_REDIS_PREFIX = defaultOf(BACKPLANE_SETTINGS.redisPrefix);
