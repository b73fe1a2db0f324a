/**
 * The cluster's front door: one port, each HTTP request and each WebSocket upgrade
 * handed to the next replica in turn. Node's own http and net; no proxy package.
 *
 * Contract:
 * - A replica that is not alive (its process exited) or refused a connection in the
 *   last second is skipped; a request whose replica refuses the connection goes to the
 *   next one. An answer, whatever its status, is passed through unchanged; a replica
 *   that fails after it accepted the request (killed mid-answer) ends that request with
 *   502 and is not retried elsewhere, since it may have been a mutation that ran.
 * - Request bodies are read whole before they are sent (GraphQL bodies are small; the
 *   facade refuses more than 1 MB anyway), so a retry sends the same bytes.
 * - WebSocket upgrades are piped both ways as bytes: the front never reads a frame.
 * - When no replica is left: 503 with a JSON error.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';

export interface FrontBackend {
  port: number;
  /** False once the replica's process has exited. */
  alive(): boolean;
}

export interface RoundRobinFrontOptions {
  /** 0 for a free port. */
  port: number;
  /** default 127.0.0.1 */
  host?: string;
  backends: FrontBackend[];
  /** How long a replica that refused a connection is skipped; default 1000 ms. */
  downForMs?: number;
}

export interface RoundRobinFront {
  port: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 2 * 1024 * 1024;

/** Only a connection never made is safe to try elsewhere: a reset one may have carried a mutation. */
const refused = (error: unknown) => (error as { code?: string }).code === 'ECONNREFUSED';

export async function startRoundRobinFront(options: RoundRobinFrontOptions): Promise<RoundRobinFront> {
  const host = options.host ?? '127.0.0.1';
  const downForMs = options.downForMs ?? 1000;
  const downUntil = new Map<number, number>();
  let next = 0;
  const sockets = new Set<Socket>();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

  /** The backends to try for one request, starting with the next in turn. */
  const candidates = (): FrontBackend[] => {
    const now = Date.now();
    const usable = options.backends.filter((b) => b.alive() && (downUntil.get(b.port) ?? 0) <= now);
    if (usable.length === 0) return [];
    const start = next++ % usable.length;
    return [...usable.slice(start), ...usable.slice(0, start)];
  };

  const forward = (backend: FrontBackend, req: IncomingMessage, body: Buffer, res: ServerResponse) =>
    new Promise<'done' | 'refused'>((resolve) => {
      const upstream = http.request(
        { host: '127.0.0.1', port: backend.port, method: req.method, path: req.url, headers: req.headers, agent },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.on('end', () => resolve('done'));
          answer.on('error', () => {
            res.destroy();
            resolve('done');
          });
        },
      );
      upstream.on('error', (error) => {
        if (!res.headersSent && refused(error)) {
          downUntil.set(backend.port, Date.now() + downForMs);
          resolve('refused');
          return;
        }
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'the replica failed while answering' }));
        else res.destroy();
        resolve('done');
      });
      upstream.end(body);
    });

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        res.writeHead(413, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `request bodies are at most ${MAX_BODY_BYTES} bytes` }));
        return;
      }
      chunks.push(chunk);
    }
    const body = Buffer.concat(chunks);
    for (const backend of candidates()) {
      if ((await forward(backend, req, body, res)) === 'done') return;
    }
    res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'no replica is answering' }));
  });

  server.on('upgrade', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const tryNext = (backends: FrontBackend[]) => {
      const backend = backends.shift();
      if (backend === undefined) {
        client.end('HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
        return;
      }
      const upstream = net.connect(backend.port, '127.0.0.1');
      let connected = false;
      upstream.once('connect', () => {
        connected = true;
        const lines = [`${req.method} ${req.url} HTTP/1.1`];
        for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
        upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
        if (head.length > 0) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', (error) => {
        if (!connected && refused(error)) {
          downUntil.set(backend.port, Date.now() + downForMs);
          tryNext(backends);
          return;
        }
        client.destroy();
      });
      client.on('error', () => upstream.destroy());
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    };
    tryNext(candidates());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}
