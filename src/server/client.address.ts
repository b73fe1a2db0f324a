/**
 * Who is asking: the address of the client behind the proxies the operator trusts
 * (`TRUSTED_PROXIES`), for the failed-login throttle and the request log.
 *
 * Contract:
 * - Without trusted proxies the client is the socket's peer; `X-Forwarded-For` is not read.
 * - With them, `X-Forwarded-For` is walked from the right (the entry the nearest proxy
 *   appended), one hop for each peer that is trusted: a hop count trusts that many
 *   proxies in front of the facade; a list trusts the peers whose address it names
 *   (addresses, CIDRs, `loopback`, `linklocal`, `uniquelocal`). The first address not
 *   trusted, or the leftmost entry when every hop is, is the client. Entries left of it
 *   are whatever the client sent, and are never believed. An IPv4-mapped peer
 *   (`::ffff:127.0.0.1`, on a dual-stack listener) is matched as its IPv4 address.
 * - This is express's `trust proxy`, as proxy-addr implements it; `trust` is the same rule,
 *   for express, so that `req.ip` answers what `of` answers.
 * - The address is answered as written (a forwarded entry is not checked to be an
 *   address): trusting the right peers is what makes it the client's.
 * - Every transport asks it (HTTP, SSE and the graphql-ws upgrade request), so a client has
 *   one address, and one failure budget, on all of them.
 */
import type { IncomingHttpHeaders } from 'node:http';
import proxyaddr from 'proxy-addr';
import type { TrustedProxies } from './server.settings.js';

/** Whether the peer at `address`, `hop` steps from the facade (0: the socket's peer), is a trusted proxy. */
export type ProxyTrust = (address: string, hop: number) => boolean;

/** What a client address is read from: an HTTP request, or a WebSocket's upgrade request. */
export interface AddressedRequest {
  headers: IncomingHttpHeaders;
  socket: { remoteAddress?: string | undefined };
}

export interface ClientAddresses {
  /** The trust rule, for express's `trust proxy` setting. */
  readonly trust: ProxyTrust;
  /** The client's address; undefined when the socket has none (it closed). */
  of(request: AddressedRequest): string | undefined;
}

const trustNone: ProxyTrust = () => false;

/** The client addresses of requests, through `trusted` proxies (`TRUSTED_PROXIES`); none when undefined. */
export function clientAddresses(trusted: TrustedProxies | undefined): ClientAddresses {
  if (trusted === undefined) return { trust: trustNone, of: (request) => request.socket.remoteAddress };
  const trust = trustOf(trusted);
  return {
    trust,
    // A closed socket has no address: nothing to walk from, however many hops are trusted.
    of: (request) => (request.socket.remoteAddress === undefined ? undefined : proxyaddr(request, trust)),
  };
}

function trustOf(trusted: TrustedProxies): ProxyTrust {
  if (typeof trusted === 'number') {
    if (!Number.isInteger(trusted) || trusted < 1) throw new Error(`TRUSTED_PROXIES: a hop count must be a whole number from 1; got ${trusted}`);
    return (_address, hop) => hop < trusted;
  }
  try {
    return proxyaddr.compile(trusted);
  } catch (error) {
    // The setting's rule admits only what proxy-addr reads; this names a gap between them.
    throw new Error(`TRUSTED_PROXIES: proxy-addr cannot read it (${(error as Error).message}); give addresses, CIDRs, loopback, linklocal or uniquelocal`);
  }
}
