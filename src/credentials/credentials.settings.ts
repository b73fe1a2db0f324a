/**
 * Rotated upstream credentials: the key that encrypts them at rest and how often a
 * replica looks for those another one rotated. Declared once here; `config.ts` reads
 * them into `Config.credentials`.
 */
import { z } from 'zod';
import { parseSecretKey, SecretKey } from '../config/secret.key.js';
import { defaultOf, milliseconds, setting, type ValuesOf } from '../config/setting.js';

export const CREDENTIAL_SETTINGS = {
  secretKey: setting({
    env: 'FACADE_SECRET_KEY',
    schema: z.string().transform((value, ctx) => {
      const key = parseSecretKey(value);
      if (key instanceof SecretKey) return key;
      ctx.addIssue({ code: 'custom', message: key.problem });
      return z.NEVER;
    }),
    doc:
      '32 bytes (64 hex characters or base64) that encrypt rotated upstream client secrets at rest (AES-256-GCM). ' +
      'Without it upstream credentials cannot be rotated. Never logged or serialised (see `SecretKey`).',
  }),
  pollIntervalMs: setting({
    env: 'CREDENTIAL_POLL_INTERVAL_MS',
    default: '10000',
    schema: milliseconds(0),
    doc:
      'How often a replica reads the credential vault for upstream credentials another replica rotated (0 turns polling ' +
      'off). A replica whose credential the token endpoint refuses reads it at once.',
  }),
};

export type CredentialsConfig = ValuesOf<typeof CREDENTIAL_SETTINGS>;

/** The poll interval of a rotator given none. */
export const DEFAULT_CREDENTIAL_POLL_INTERVAL_MS = defaultOf(CREDENTIAL_SETTINGS.pollIntervalMs);
