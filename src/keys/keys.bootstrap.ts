/**
 * The facade's own API keys at start-up: the key service, the default admin key, and the
 * rotation scheduler.
 *
 * Contract:
 * - `startKeys` resolves once the service is ready, the default key exists and the
 *   scheduler runs; `stop()` stops the scheduler, then the service.
 * - The default key: a new one is shown once, on the terminal (`show`, default stderr),
 *   never through the logger, since it is nowhere else in clear; one adopted from
 *   `FACADE_ADMIN_KEY` is logged by name; an existing one may come with a warning (logged).
 * - Everything runs on `clock` (grace periods, schedules), except the locks, which keep
 *   real time whatever the key clock says: they bound how long a crashed holder blocks others.
 */
import type { Logger } from '../log/logger.js';
import { ApiKeyService, type ApiKeyServiceOptions } from './api-key.service.js';
import { RotationScheduler, type RotationSchedulerOptions } from './rotation.scheduler.js';

export interface KeysBootstrapOptions extends Pick<ApiKeyServiceOptions, 'store' | 'pubsub' | 'throttle'> {
  /** The lock every replica uses, for key changes and scheduled rotations. */
  lock: NonNullable<ApiKeyServiceOptions['lock']>;
  logger: Logger;
  /** Tenant of the default admin key (`FACADE_TENANT`). */
  tenant: string;
  /** `FACADE_ADMIN_KEY`: adopt this text as the default admin key. Default: make one. */
  adoptSecret?: string;
  /** The key clock (see `ApiKeyServiceOptions.clock`). Default the system clock. */
  clock?: ApiKeyServiceOptions['clock'] & RotationSchedulerOptions['clock'];
  /** Where a new default key is shown, once. Default stderr. */
  show?: (text: string) => void;
}

export interface RunningKeys {
  keys: ApiKeyService;
  stop(): Promise<void>;
}

export async function startKeys(options: KeysBootstrapOptions): Promise<RunningKeys> {
  const { logger, clock, lock } = options;
  const keys = new ApiKeyService({ store: options.store, pubsub: options.pubsub, logger, lock, throttle: options.throttle, clock });
  try {
    await keys.ready;
    const defaultKey = await keys.ensureDefaultKey({ tenant: options.tenant, adoptSecret: options.adoptSecret });
    switch (defaultKey.outcome) {
      case 'CREATED':
        (options.show ?? ((text: string) => process.stderr.write(text)))(
          `\nCreated the default admin API key "${defaultKey.key.name}" (every permission). It is shown only now:\n\n` +
            `    ${defaultKey.secret}\n\nSend it as "Authorization: Bearer <key>". Set FACADE_ADMIN_KEY to choose your own.\n\n`,
        );
        break;
      case 'ADOPTED':
        logger.info({ key: defaultKey.key.name }, 'adopted FACADE_ADMIN_KEY as the default admin key');
        break;
      case 'EXISTING':
        if (defaultKey.warning !== undefined) logger.warn(defaultKey.warning);
        break;
    }
    const scheduler = new RotationScheduler({ service: keys, lock, logger, clock });
    await scheduler.start();
    return {
      keys,
      async stop() {
        await scheduler.stop();
        await keys.close();
      },
    };
  } catch (error) {
    await keys.close();
    throw error;
  }
}
