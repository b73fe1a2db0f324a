/**
 * The part of proxy-addr (express's own, for `trust proxy`) that `client.address.ts`
 * uses. The package ships no types; these stand in for @types/proxy-addr, whose
 * `proxyaddr` would want a whole `IncomingMessage` where a graphql-ws upgrade and a
 * test need give only headers and a socket address.
 */
declare module 'proxy-addr' {
  import type { IncomingHttpHeaders } from 'node:http';

  /** Whether the peer at `address`, `hop` steps from the facade (0: the socket's), is a trusted proxy. */
  type Trust = (address: string, hop: number) => boolean;

  /**
   * The client address: `X-Forwarded-For` walked from the right while the address it
   * came from is trusted; the socket's address when that is not.
   */
  function proxyaddr(request: { headers: IncomingHttpHeaders; socket: { remoteAddress?: string | undefined } }, trust: Trust): string;

  namespace proxyaddr {
    /** A trust function of addresses, CIDRs and `loopback`/`linklocal`/`uniquelocal`; throws a TypeError on an entry it cannot read. */
    function compile(trusted: string | readonly string[]): Trust;
  }

  export = proxyaddr;
}
