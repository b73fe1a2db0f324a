/**
 * The facade's own API keys: where they are stored without Redis, and the default admin
 * key. Declared once here; `config.ts` reads them into `Config.keys`.
 */
import { z } from 'zod';
import { setting, text, type ValuesOf } from '../config/setting.js';

export const KEY_SETTINGS = {
  dataDir: setting({
    env: 'DATA_DIR',
    default: './data',
    schema: text('must be a directory path'),
    doc: 'The SQLite store of API keys and the audit trail, when REDIS_URL is unset.',
  }),
  adminKey: setting({
    env: 'FACADE_ADMIN_KEY',
    schema: z.string().regex(/^usmf_\S+$/, 'must be a facade API key (usmf_…); omit it to have one created and printed on first start'),
    doc: 'Adopted as the default admin key on first start instead of printing a new one.',
  }),
  tenant: setting({
    env: 'FACADE_TENANT',
    default: 'usm-facade',
    schema: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1–64 letters, digits, ".", "_" or "-"'),
    doc: 'Names the default key `<tenant>@<ISO time>`.',
  }),
};

export type KeysConfig = ValuesOf<typeof KEY_SETTINGS>;
