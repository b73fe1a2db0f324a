/**
 * Listening on a port an operator configured, so that a start that cannot listen says
 * which setting to change.
 *
 * Contract: `listenOn(server, { port, host, setting })` resolves with the bound port once
 * `server` listens on `host:port`. When it cannot, it rejects with a `ListenError` whose
 * message starts with the setting and its value (`METRICS_PORT=9464: …`), says what is in
 * the way in words, and what to set instead; `code` keeps the system's (EADDRINUSE,
 * EACCES, EADDRNOTAVAIL, ENOTFOUND). The server is left not listening. Other failures are
 * passed on as they are.
 */
import type { Server } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface ListenTarget {
  port: number;
  host: string;
  /** The variable `port` came from, e.g. `PORT` or `METRICS_PORT`. */
  setting: string;
  /** What 0 means for this setting, e.g. `0 picks a free one`, added to the advice on a taken port. */
  zero?: string;
}

export class ListenError extends Error {
  override readonly name = 'ListenError';

  constructor(
    message: string,
    readonly setting: string,
    readonly port: number,
    readonly code: string,
  ) {
    super(message);
  }
}

function explain(error: NodeJS.ErrnoException, { port, host, setting, zero }: ListenTarget): ListenError | undefined {
  const address = `${host}:${port}`;
  const lead = `${setting}=${port}:`;
  switch (error.code) {
    case 'EADDRINUSE':
      return new ListenError(
        `${lead} ${address} is already in use by another process (EADDRINUSE). Stop that process, or set ${setting} to a free port${zero === undefined ? '' : ` (${zero})`}.`,
        setting,
        port,
        error.code,
      );
    case 'EACCES':
      return new ListenError(
        `${lead} this process may not listen on ${address} (EACCES; ports below 1024 need privileges). Set ${setting} to 1024 or above.`,
        setting,
        port,
        error.code,
      );
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new ListenError(
        `${lead} cannot listen on ${address}: HOST=${host} is not an address of this machine (${error.code}). Set HOST to one of its addresses, or 0.0.0.0 for all.`,
        setting,
        port,
        error.code,
      );
    default:
      return undefined;
  }
}

export async function listenOn(server: Server, target: ListenTarget): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => reject(explain(error, target) ?? error);
    server.once('error', failed);
    server.listen(target.port, target.host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
