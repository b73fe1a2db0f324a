/**
 * A key service over an in-memory keyv store with a hand-driven clock, a shared
 * in-memory pubsub and captured log lines, for tests of src/keys.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import Keyv from 'keyv';
import { FacadeError, type ErrorCode } from '../../src/errors/facade.error.js';
import { createLogger, type Logger } from '../../src/log/logger.js';
import { createMemoryPubSub, type PubSub } from '../../src/live/pubsub.js';
import { ApiKeyService, type ApiKey, type ApiKeyServiceOptions } from '../../src/keys/api-key.service.js';
import { ManualClock } from '../support/manual.clock.js';

export const T0 = Date.parse('2025-03-01T08:00:00.000Z');
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export interface LogCapture {
  logger: Logger;
  /** Every line written so far, as text. */
  text(): string;
  /** Every line parsed. */
  lines(): Array<Record<string, unknown>>;
}

export function captureLogs(): LogCapture {
  let buffer = '';
  const destination = new Writable({
    write(chunk, _encoding, done) {
      buffer += String(chunk);
      done();
    },
  });
  const logger = createLogger({ level: 'debug', destination });
  return {
    logger,
    text: () => buffer,
    lines: () =>
      buffer
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

export interface KeysHarness {
  service: ApiKeyService;
  store: Keyv;
  pubsub: PubSub;
  clock: ManualClock;
  logs: LogCapture;
  /** The default admin key and its secret. */
  admin: ApiKey;
  adminSecret: string;
  close(): Promise<void>;
}

/** A service with its default key made; `overrides` replace any option. */
export async function keysHarness(overrides: Partial<ApiKeyServiceOptions> & { clock?: never } = {}, clock = new ManualClock(T0)): Promise<KeysHarness> {
  const store = overrides.store ?? new Keyv();
  const pubsub = overrides.pubsub ?? createMemoryPubSub();
  const logs = captureLogs();
  const service = new ApiKeyService({ store, pubsub, logger: logs.logger, clock, ...overrides });
  const ensured = await service.ensureDefaultKey({ tenant: 'acme' });
  const adminSecret = ensured.outcome === 'CREATED' ? ensured.secret : assert.fail('expected a new default key');
  return {
    service,
    store,
    pubsub,
    clock,
    logs,
    admin: ensured.key,
    adminSecret,
    close: async () => {
      await service.close();
      if (overrides.pubsub === undefined) await pubsub.close();
    },
  };
}

/** Matches a FacadeError with `code` whose message matches `pattern`. */
export function facadeError(code: ErrorCode, pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof FacadeError, `expected a FacadeError, got ${String(error)}`);
    assert.equal(error.code, code, `expected ${code}, got ${error.code}: ${error.message}`);
    assert.match(error.message, pattern);
    return true;
  };
}

/** Everything a caller can observe of the key store: keys and audit trail. */
export async function observableState(service: ApiKeyService): Promise<unknown> {
  return { keys: await service.list(), audit: await service.audit.list({ first: 100 }) };
}
