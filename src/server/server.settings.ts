/**
 * Where the facade listens, which environment it runs as, which proxies in front of it
 * it believes, and how long one GraphQL request may spend upstream. Declared once here;
 * `config.ts` reads them into the top-level fields of `Config` of the same names.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { milliseconds, oneOf, port, setting, text, type ValuesOf } from '../config/setting.js';

/**
 * The proxies whose `X-Forwarded-For` is believed (`client.address.ts`), in express's
 * `trust proxy` terms: how many hops in front of the facade, or which peers (addresses,
 * CIDRs and proxy-addr's names).
 */
export type TrustedProxies = number | readonly string[];

const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];
const MAX_PROXY_HOPS = 10;
const TRUSTED_PROXIES_RULE =
  `must be a hop count from 1 to ${MAX_PROXY_HOPS}, or a comma-separated list of proxy addresses and CIDRs ` +
  `(e.g. 10.0.0.0/8) and the names ${PROXY_RANGE_NAMES.join(', ')}; unset, no proxy is trusted`;

/** An address, `address/prefix` (CIDR) or range name, as proxy-addr compiles it (no zone id, no netmask form). */
function isProxyEntry(entry: string): boolean {
  if (PROXY_RANGE_NAMES.includes(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || address.includes('%') || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) >= 1 && Number(prefix) <= (family === 4 ? 32 : 128));
}

/** A hop count, or the list of trusted peers. */
const trustedProxies = () =>
  z.string().transform((value, ctx): TrustedProxies => {
    const text = value.trim();
    if (/^\d{1,3}$/.test(text) && Number(text) >= 1 && Number(text) <= MAX_PROXY_HOPS) return Number(text);
    const entries = text.split(',').map((entry) => entry.trim());
    if (/^\d+$/.test(text) || !entries.every(isProxyEntry)) {
      ctx.addIssue({ code: 'custom', message: TRUSTED_PROXIES_RULE });
      return z.NEVER;
    }
    return entries;
  });

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
  trustedProxies: setting({
    env: 'TRUSTED_PROXIES',
    schema: trustedProxies(),
    doc:
      "The proxies in front (nginx, an ingress) whose X-Forwarded-For is believed, as express's `trust proxy`: a hop count, " +
      'or a comma-separated list of their addresses and CIDRs and the names loopback, linklocal, uniquelocal. ' +
      'The client address the failed-login throttle counts and the request log shows is then the nearest one ' +
      'not trusted. Unset: no proxy is trusted, the socket peer is the client.',
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
