/**
 * The one logger (pino). Secrets that may travel in objects handed to it are redacted
 * by path, so a careless `log.info({ headers })` still prints no credential: client
 * secrets, tokens, authorization headers, a WebSocket's `connectionParams` (they carry
 * the API key) and GraphQL `variables` (a credential rotation sends client secrets in
 * them) become `[redacted]`. Lines are JSON, or readable ones (pino-pretty) with
 * `pretty`, which a development terminal gets (`LOG_PRETTY`, see `log.settings.ts`).
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { DEFAULT_LOG_LEVEL, type LogLevel } from './log.settings.js';

export type { Logger };

export interface LoggerOptions {
  /** Default `DEFAULT_LOG_LEVEL` (`info`), as `LOG_LEVEL` unset outside tests. */
  level?: LogLevel;
  /** Where lines go; default standard output. Tests pass a stream to read them. */
  destination?: NodeJS.WritableStream;
  /** Readable lines (pino-pretty, colours, local time) instead of JSON. Default false. */
  pretty?: boolean;
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
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers["x-api-key"]',
  'headers.cookie',
  'req.headers.cookie',
  'connectionParams',
  '*.connectionParams',
  'variables',
  '*.variables',
];

export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = {
    level: options.level ?? DEFAULT_LOG_LEVEL,
    base: { service: 'usm-graphql-facade' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  // pino-pretty as a stream in this thread: redaction has happened before it formats a line.
  const destination =
    options.pretty === true
      ? pretty({ destination: options.destination ?? 1, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' })
      : options.destination;
  return destination === undefined ? pino(settings) : pino(settings, destination as DestinationStream);
}
