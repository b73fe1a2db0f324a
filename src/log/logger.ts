/**
 * The one logger (pino). Secrets that may travel in objects handed to it are redacted
 * by path, so a careless `log.info({ headers })` still prints no credential.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/config.js';

export type { Logger };

export interface LoggerOptions {
  /** Default `info`. */
  level?: LogLevel;
  /** Where lines go; default standard output. Tests pass a stream to read them. */
  destination?: NodeJS.WritableStream;
}

const REDACTED_PATHS = [
  'clientSecret',
  '*.clientSecret',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'access_token',
  '*.access_token',
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers["x-api-key"]',
];

export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = {
    level: options.level ?? 'info',
    base: { service: 'usm-graphql-facade' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  return options.destination === undefined
    ? pino(settings)
    : pino(settings, options.destination as DestinationStream);
}
