/**
 * The USM simulator: one real HTTP server that plays a USM Central 1.1 and several
 * USM Anywhere 2.0 deployments, faithful to the vendor docs and to what real
 * responses do beyond them (see /work/shared/upstream/README.md).
 *
 * Contract: `startSimulator(options)` resolves once listening and returns the URLs and
 * the initial credentials; `stop()` closes the server, every socket and every timer.
 * Everything generated is deterministic from `seed` (ids, fields, fault rolls), while
 * tokens and generated secrets are truly random. Token expiry and the quota window
 * follow the injected `now` clock, so tests never sleep. Bad input gets what a real
 * USM gives (400, 404, 405), never a 500; a 500 means a bug, and is logged.
 *
 *   {url}/{deployment}/api/2.0/…   USM Anywhere (oauth/token, alarms, labels, events)
 *   {url}/central/api/1.1/…        USM Central (oauth/token, deployments, alarms, events)
 *   {url}/__sim/…                  control API, no OAuth (see control.routes.ts)
 *
 * Imports nothing from the rest of the project: it stands in for a remote system.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { listenOn } from '../net/port.listener.js';
import { ApiGateway, type GatewayOutcome } from './api.gateway.js';
import { anywhereRoutes } from './anywhere.routes.js';
import { CENTRAL, CENTRAL_API_BASE, centralRoutes } from './central.routes.js';
import { ClientRegistry } from './client.registry.js';
import { CONTROL_BASE, controlRoutes } from './control.routes.js';
import { FaultInjector } from './fault.injector.js';
import { HttpProblem, errorReply, type Reply } from './json.reply.js';
import { REQUEST_LOG_CAPACITY, RequestLog } from './request.log.js';
import { SeededRandom, seedFor } from './seeded.random.js';
import { TokenHolds, type TokenHold } from './token.holds.js';
import { TrafficLedger } from './traffic.ledger.js';
import { UsmDataset, baseTimeOf } from './usm.dataset.js';

export interface SimulatorOptions {
  /** TCP port; default 0 (ephemeral). */
  port?: number;
  /** What a taken port is blamed on in the error (`ListenError`); default `SIMULATOR_PORT`. */
  portSetting?: string;
  /** default '127.0.0.1' */
  host?: string;
  /** PRNG seed for all generated data; default 1. Same seed → same ids/fields. */
  seed?: number;
  /** Anywhere deployment names; default ['acme-east','acme-west','acme-lab']. */
  deployments?: string[];
  /** default 2000 */
  alarmsPerDeployment?: number;
  /** expires_in of granted tokens, seconds; default 899 */
  tokenLifetimeSeconds?: number;
  /**
   * Initial client credentials per deployment name (and 'central'); default one client
   * each: clientId `${name}-client`, secret `${name}-secret` (central:
   * 'central-client'/'central-secret'). A name left out gets its default client; a
   * listed name needs at least one client (the first is the one reported back).
   */
  clients?: Record<string, Array<{ clientId: string; clientSecret: string }>>;
  /** Clock in epoch ms; default Date.now. Token expiry and the quota window use it. */
  now?: () => number;
  /** Requests the arrival log (`GET /__sim/requests`) keeps, oldest dropped first; default 50000. */
  requestLogSize?: number;
  /** Per-request log hook; default none. */
  log?: (line: string) => void;
}

export interface SimulatedDeployment {
  name: string;
  /** `${url}/${name}/api/2.0` */
  url: string;
  clientId: string;
  clientSecret: string;
}

export interface RunningSimulator {
  /** e.g. http://127.0.0.1:41234 (no trailing slash) */
  url: string;
  /** The Anywhere ones. */
  deployments: SimulatedDeployment[];
  central: { /** `${url}/central/api/1.1` */ url: string; clientId: string; clientSecret: string };
  /**
   * Holds the token requests of `clientId` at `target` (a deployment or `central`) until
   * `release()`, so a test sees a caller stuck mid-request without timing (token.holds.ts).
   */
  holdTokens(target: string, clientId: string): TokenHold;
  /** Closes the server and all sockets, clears every timer. */
  stop(): Promise<void>;
}

/** The deployments a simulator started without `deployments` plays; its Central lists the same ones. */
export const DEFAULT_DEPLOYMENTS: readonly string[] = ['acme-east', 'acme-west', 'acme-lab'];
const ANYWHERE_VERSION = '2.0';
const MAX_BODY_BYTES = 1_048_576;
const DEPLOYMENT_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

function checkOptions(options: SimulatorOptions, deployments: readonly string[]): void {
  const problems: string[] = [];
  if (deployments.length === 0) problems.push('deployments must name at least one deployment');
  for (const name of deployments) {
    if (!DEPLOYMENT_NAME.test(name)) problems.push(`deployment name '${name}' must be a DNS label (a-z, 0-9, -)`);
    if (name === CENTRAL) problems.push(`'${CENTRAL}' is reserved for USM Central; pick another deployment name`);
  }
  if (new Set(deployments).size !== deployments.length) problems.push('deployment names must be unique');
  const { alarmsPerDeployment, tokenLifetimeSeconds, seed, port, requestLogSize } = options;
  const outside = (n: number, min: number, max: number) => !Number.isInteger(n) || n < min || n > max;
  if (alarmsPerDeployment !== undefined && outside(alarmsPerDeployment, 0, 200_000)) {
    problems.push('alarmsPerDeployment must be an integer from 0 to 200000');
  }
  if (tokenLifetimeSeconds !== undefined && outside(tokenLifetimeSeconds, 1, 31_536_000)) {
    problems.push('tokenLifetimeSeconds must be an integer from 1 to 31536000');
  }
  if (requestLogSize !== undefined && outside(requestLogSize, 1, 1_000_000)) {
    problems.push('requestLogSize must be an integer from 1 to 1000000');
  }
  if (seed !== undefined && !Number.isInteger(seed)) problems.push('seed must be an integer');
  if (port !== undefined && outside(port, 0, 65535)) problems.push('port must be an integer from 0 to 65535');
  for (const [name, list] of Object.entries(options.clients ?? {})) {
    if (name !== CENTRAL && !deployments.includes(name)) {
      problems.push(`clients names '${name}', which is neither a deployment nor '${CENTRAL}'`);
    } else if (!Array.isArray(list) || list.length === 0) {
      problems.push(`clients['${name}'] must list at least one client (leave the name out for the default one)`);
    } else if (new Set(list.map((c) => c.clientId)).size !== list.length) {
      problems.push(`clients['${name}'] lists a clientId twice`);
    }
  }
  if (problems.length > 0) throw new TypeError(`Invalid simulator options:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
}

/** `http://host[:port]` as the client addressed us; falls back to our own address if Host is odd. */
function originOf(request: IncomingMessage, fallback: string): string {
  const host = request.headers.host;
  return host !== undefined && /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/.test(host) ? `http://${host}` : fallback;
}

function bodyReader(request: IncomingMessage): () => Promise<string> {
  let pending: Promise<string> | undefined;
  return () =>
    (pending ??= new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      request.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          reject(new HttpProblem(413, `request body exceeds ${MAX_BODY_BYTES} bytes`));
          request.resume();
          return;
        }
        chunks.push(chunk);
      });
      request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      request.on('error', reject);
    }));
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const names = options.deployments ?? DEFAULT_DEPLOYMENTS;
  checkOptions(options, names);
  const now = options.now ?? Date.now;
  const seed = options.seed ?? 1;
  const log = options.log;
  const reportBug = (error: unknown, where: string) => {
    const line = `simulator bug at ${where}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
    (log ?? ((l: string) => process.stderr.write(`${l}\n`)))(line);
  };

  const dataset = new UsmDataset({
    seed,
    deployments: names,
    alarmsPerDeployment: options.alarmsPerDeployment ?? 2000,
    base: baseTimeOf(now()),
    // Plays samples/central-deployments.json, where the last deployment is offline.
    disconnected: new Set(options.deployments === undefined ? [DEFAULT_DEPLOYMENTS[2]!] : []),
  });
  const targets = [...names, CENTRAL];
  const registry = new ClientRegistry(now, options.tokenLifetimeSeconds ?? 899);
  const initial = new Map<string, { clientId: string; clientSecret: string }>();
  for (const target of targets) {
    const listed = options.clients?.[target] ?? [{ clientId: `${target}-client`, clientSecret: `${target}-secret` }];
    for (const client of listed) registry.add(target, client.clientId, client.clientSecret);
    initial.set(target, listed[0]!);
  }
  const ledger = new TrafficLedger(targets, now);
  const requests = new RequestLog(options.requestLogSize ?? REQUEST_LOG_CAPACITY, now);
  const faults = new FaultInjector(new SeededRandom(seedFor(seed, 'faults')));
  const holds = new TokenHolds();

  const timers = new Set<NodeJS.Timeout>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const gateways = new Map<string, ApiGateway>();
  for (const profile of dataset.profiles) {
    const routes = anywhereRoutes(dataset, profile);
    gateways.set(
      profile.apiBase,
      new ApiGateway({ target: profile.name, routes, registry, ledger, requests, faults, holds, sleep, reportBug }),
    );
  }
  gateways.set(
    CENTRAL_API_BASE,
    new ApiGateway({ target: CENTRAL, routes: centralRoutes(dataset), registry, ledger, requests, faults, holds, sleep, reportBug }),
  );
  const control = controlRoutes({ dataset, registry, ledger, requests, faults, targets, now });

  let selfOrigin = '';

  async function route(request: IncomingMessage, path: string, rawQuery: string): Promise<GatewayOutcome> {
    const query = new URLSearchParams(rawQuery);
    const method = request.method ?? 'GET';
    const origin = originOf(request, selfOrigin);
    const readBody = bodyReader(request);
    if (path === CONTROL_BASE || path.startsWith(`${CONTROL_BASE}/`)) {
      const location = path.slice(CONTROL_BASE.length);
      const match = control.match(method, location);
      if (match === undefined) return errorReply(404, path, `no control resource at ${path}`);
      if (match.handler === undefined) {
        return errorReply(405, path, `${method} is not supported here; use ${match.allowed.join(', ')}`, {
          allow: match.allowed.join(', '),
        });
      }
      return match.handler({ method, params: match.params, query, origin, location, readBody });
    }
    // /{name}/api/{version}/…: the first three segments pick the API.
    const segments = path.split('/', 5);
    const base = `/${segments[1]}/${segments[2]}/${segments[3]}`;
    const gateway = gateways.get(base);
    if (gateway === undefined) {
      const known = dataset.profiles.some((p) => p.name === segments[1]) || segments[1] === CENTRAL;
      const version = segments[1] === CENTRAL ? '1.1' : ANYWHERE_VERSION;
      return errorReply(
        404,
        path,
        known
          ? `no USM API at ${path}; '${segments[1]}' serves /${segments[1]}/api/${version}/…`
          : `unknown deployment '${segments[1] ?? ''}'; known: ${targets.join(', ')}`,
      );
    }
    const subPath = path.slice(base.length);
    return gateway.handle({
      method,
      subPath: subPath === '' ? '/' : subPath,
      query,
      rawQuery,
      authorization: request.headers.authorization,
      origin,
      readBody,
    });
  }

  async function onRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = request.url ?? '/';
    const mark = url.indexOf('?');
    const path = mark === -1 ? url : url.slice(0, mark);
    const rawQuery = mark === -1 ? '' : url.slice(mark + 1);
    let outcome: GatewayOutcome;
    try {
      outcome = await route(request, path, rawQuery);
    } catch (error) {
      if (error instanceof HttpProblem) outcome = errorReply(error.status, path, error.message);
      else {
        reportBug(error, `${request.method} ${path}`);
        outcome = errorReply(500, path, 'internal_error');
      }
    }
    if (outcome === 'reset') {
      request.socket.destroy();
      log?.(`${request.method} ${url} reset ${Math.round(performance.now() - started)}ms`);
      return;
    }
    write(response, outcome);
    log?.(`${request.method} ${url} ${outcome.status} ${Math.round(performance.now() - started)}ms`);
  }

  function write(response: ServerResponse, reply: Reply): void {
    if (response.destroyed) return;
    const headers: Record<string, string | number> = { ...reply.headers };
    if (reply.body !== undefined) {
      headers['content-type'] = 'application/json;charset=UTF-8';
      headers['content-length'] = typeof reply.body === 'string' ? Buffer.byteLength(reply.body) : reply.body.length;
    } else if (reply.status !== 204) {
      headers['content-length'] = 0;
    }
    response.writeHead(reply.status, headers);
    response.end(reply.body);
  }

  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    void onRequest(request, response);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  const host = options.host ?? '127.0.0.1';
  const port = await listenOn(server, { port: options.port ?? 0, host, setting: options.portSetting ?? 'SIMULATOR_PORT', zero: '0 picks a free one' });
  const urlHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;
  selfOrigin = url;

  let stopping: Promise<void> | undefined;
  return {
    url,
    deployments: dataset.profiles.map((p) => ({
      name: p.name,
      url: `${url}${p.apiBase}`,
      clientId: initial.get(p.name)!.clientId,
      clientSecret: initial.get(p.name)!.clientSecret,
    })),
    central: {
      url: `${url}${CENTRAL_API_BASE}`,
      clientId: initial.get(CENTRAL)!.clientId,
      clientSecret: initial.get(CENTRAL)!.clientSecret,
    },
    holdTokens(target: string, clientId: string): TokenHold {
      if (!targets.includes(target)) throw new Error(`unknown target '${target}'; known: ${targets.join(', ')}`);
      return holds.hold(target, clientId);
    },
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        holds.releaseAll();
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return stopping;
    },
  };
}
