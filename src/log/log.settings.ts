/**
 * How the facade logs. Both defaults depend on `NODE_ENV` (and the terminal), so the
 * settings have none of their own and `logConfigOf` derives them, here and nowhere else.
 */
import { flag, oneOf, setting, type ValuesOf } from '../config/setting.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The level when `LOG_LEVEL` is unset, outside tests. */
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

export const LOG_SETTINGS = {
  level: setting({
    env: 'LOG_LEVEL',
    schema: oneOf(LOG_LEVELS),
    doc: `The pino level; unset: ${DEFAULT_LOG_LEVEL}, or silent under NODE_ENV=test.`,
  }),
  pretty: setting({
    env: 'LOG_PRETTY',
    schema: flag(),
    doc:
      'Readable lines (pino-pretty) instead of JSON. Unset: true under NODE_ENV=development when standard output ' +
      'is a terminal, else false (JSON for log collectors, and in containers, which have no terminal).',
  }),
};

export interface LogConfig {
  /** `LOG_LEVEL` (see `LOG_SETTINGS`). */
  logLevel: LogLevel;
  /** `LOG_PRETTY` (see `LOG_SETTINGS`). */
  logPretty: boolean;
}

/** The log settings with their derived defaults filled in. */
export function logConfigOf(
  values: ValuesOf<typeof LOG_SETTINGS>,
  facts: { nodeEnv: string; terminal: boolean },
): LogConfig {
  return {
    logLevel: values.level ?? (facts.nodeEnv === 'test' ? 'silent' : DEFAULT_LOG_LEVEL),
    logPretty: values.pretty ?? (facts.nodeEnv === 'development' && facts.terminal),
  };
}
