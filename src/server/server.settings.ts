/**
 * Where the facade listens, which environment it runs as, and how long one GraphQL
 * request may spend upstream. Declared once here; `config.ts` reads them into the
 * top-level fields of `Config` of the same names.
 */
import { milliseconds, oneOf, port, setting, text, type ValuesOf } from '../config/setting.js';

export const SERVER_SETTINGS = {
  port: setting({
    env: 'PORT',
    default: '4000',
    schema: port('0 picks a free one'),
    doc: 'HTTP and WebSocket port.',
  }),
  host: setting({
    env: 'HOST',
    default: '0.0.0.0',
    schema: text('must be an interface address or host name, e.g. 0.0.0.0 or 127.0.0.1'),
    doc: 'Interface to listen on, for GraphQL and for metrics.',
  }),
  nodeEnv: setting({
    env: 'NODE_ENV',
    default: 'development',
    schema: oneOf(['development', 'production', 'test']),
    doc:
      'Under `production` refusals do not name exact limits nor suggest field names, and introspection needs ' +
      '`schema:read`; `npm start` sets it unless given.',
  }),
  requestDeadlineMs: setting({
    env: 'REQUEST_DEADLINE_MS',
    default: '20000',
    schema: milliseconds(100),
    doc:
      'How long one GraphQL request may spend upstream, the budget wait, every attempt and every backoff together. ' +
      'A field whose upstream work passes it fails with UPSTREAM_TIMEOUT (UPSTREAM_RATE_LIMITED while still queued); ' +
      'the rest of the answer is still sent.',
  }),
};

export type ServerConfig = ValuesOf<typeof SERVER_SETTINGS>;
