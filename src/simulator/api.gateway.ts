/**
 * The front door of one USM API (an Anywhere deployment or Central): what happens to
 * a request before and around its resource handler.
 *
 * Contract, in order: the request is counted under its client (the bearer token's
 * client when the token was issued here, the Basic user on the token endpoint, else
 * `(anonymous)`) and logged in arrival order (request.log.ts), both before anything
 * awaits; a token request whose client a test holds waits until released
 * (token.holds.ts); faults apply (latency, dropped connection, error status, token
 * endpoint down); then authentication, so a 401 never spends quota; then the quota
 * (100 GET / 50 write per second per client); then routing (404, 405) and the
 * handler. On the token endpoint the Basic user spends quota before its secret is
 * checked (so guessing secrets is rate limited too), and credentials are checked
 * before `grant_type` (Spring Security authenticates before the endpoint runs).
 * Handlers' `HttpProblem`s become error bodies; any other throw is a bug: it is
 * reported and answered 500, never left to hang the socket.
 */
import type { ClientRegistry, TokenCheck } from './client.registry.js';
import type { FaultInjector } from './fault.injector.js';
import { HttpProblem, errorReply, jsonReply, type Reply } from './json.reply.js';
import type { RequestLog } from './request.log.js';
import type { RouteHandler, RouteMatch, RouteTable } from './route.table.js';
import type { TokenHolds } from './token.holds.js';
import { ANONYMOUS, requestClassOf, type ClientTraffic, type TrafficLedger } from './traffic.ledger.js';

export interface GatewayRequest {
  method: string;
  /** Path below the API base, e.g. `/alarms/…`. */
  subPath: string;
  query: URLSearchParams;
  /** The query string as sent, without `?`, for the request log. */
  rawQuery: string;
  authorization: string | undefined;
  origin: string;
  readBody: () => Promise<string>;
}

/** A reply, or `reset`: destroy the socket without answering. */
export type GatewayOutcome = Reply | 'reset';

export interface GatewayParts {
  /** Deployment name, or `central`. */
  target: string;
  routes: RouteTable<RouteHandler>;
  registry: ClientRegistry;
  ledger: TrafficLedger;
  requests: RequestLog;
  faults: FaultInjector;
  holds: TokenHolds;
  sleep: (ms: number) => Promise<void>;
  reportBug: (error: unknown, where: string) => void;
}

const TOKEN_PATH = '/oauth/token';

interface BasicCredentials {
  user: string;
  secret: string;
}

function basicCredentials(authorization: string | undefined): BasicCredentials | undefined {
  const match = authorization === undefined ? null : /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(authorization);
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { user: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

function bearerToken(authorization: string | undefined): string | undefined {
  const match = authorization === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match === null ? undefined : match[1];
}

/** What the gateway learnt about a request before deciding on it. */
type Caller =
  | { endpoint: 'token'; basic: BasicCredentials | undefined }
  | {
      endpoint: 'resource';
      bearer: string | undefined;
      check: TokenCheck | undefined;
      match: RouteMatch<RouteHandler> | undefined;
    };

interface Admission {
  request: GatewayRequest;
  /** The path below the API base, for error bodies. */
  location: string;
  traffic: ClientTraffic;
  caller: Caller;
}

export class ApiGateway {
  constructor(private readonly parts: GatewayParts) {}

  async handle(request: GatewayRequest): Promise<GatewayOutcome> {
    const { ledger, requests, registry, target, routes } = this.parts;
    const location = request.subPath;
    let caller: Caller;
    let clientId: string = ANONYMOUS;
    let template: string;
    if (location === TOKEN_PATH || location === `${TOKEN_PATH}/`) {
      const basic = basicCredentials(request.authorization);
      if (basic !== undefined) clientId = basic.user;
      caller = { endpoint: 'token', basic };
      template = TOKEN_PATH;
    } else {
      const bearer = bearerToken(request.authorization);
      const check = bearer === undefined ? undefined : registry.check(target, bearer);
      clientId = check?.clientId ?? ANONYMOUS;
      const match = routes.match(request.method, location);
      caller = { endpoint: 'resource', bearer, check, match };
      template = match?.template ?? '(unmatched)';
    }
    const traffic = ledger.client(target, clientId);
    ledger.countRequest(traffic, `${request.method} ${template}`);
    const logged = requests.record({ target, clientId, method: request.method, path: location, query: request.rawQuery });
    const outcome = await this.respond({ request, location, traffic, caller });
    logged.status = outcome === 'reset' ? 'reset' : outcome.status;
    ledger.countResponse(traffic, logged.status);
    return outcome;
  }

  private async respond(admission: Admission): Promise<GatewayOutcome> {
    const { faults, target, sleep } = this.parts;
    const { request, location, caller } = admission;
    if (caller.endpoint === 'token' && caller.basic !== undefined) await this.parts.holds.pass(target, caller.basic.user);
    const fault = faults.decide(target, caller.endpoint === 'token');
    if (fault.latencyMs > 0) await sleep(fault.latencyMs);
    const retryAfter =
      fault.retryAfterSeconds === undefined ? undefined : { 'retry-after': String(fault.retryAfterSeconds) };
    switch (fault.action.kind) {
      case 'reset':
        return 'reset';
      case 'error':
        return errorReply(fault.action.status, location, 'simulated_fault', fault.action.status === 429 ? retryAfter : undefined);
      case 'token-endpoint-down':
        return errorReply(503, location, 'service_unavailable');
      case 'none':
        break;
      default: {
        const unreachable: never = fault.action;
        throw new Error(`unhandled fault ${JSON.stringify(unreachable)}`);
      }
    }
    try {
      return caller.endpoint === 'token'
        ? await this.token(admission, caller.basic, retryAfter)
        : await this.resource(admission, caller, retryAfter);
    } catch (error) {
      if (error instanceof HttpProblem) return errorReply(error.status, location, error.message);
      this.parts.reportBug(error, `${request.method} ${target}${location}`);
      return errorReply(500, location, 'internal_error');
    }
  }

  private async resource(
    { request, location, traffic }: Admission,
    caller: Extract<Caller, { endpoint: 'resource' }>,
    retryAfter: Record<string, string> | undefined,
  ): Promise<Reply> {
    if (caller.bearer === undefined) return errorReply(401, location, 'unauthorized');
    if (caller.check === undefined || !caller.check.ok) return errorReply(401, location, 'invalid_token');
    if (!this.parts.ledger.admit(traffic, requestClassOf(request.method))) {
      return errorReply(429, location, 'too_many_requests', retryAfter);
    }
    const { match } = caller;
    if (match === undefined) return errorReply(404, location, `no resource at ${location}`);
    if (match.handler === undefined) {
      const allow = match.allowed.join(', ');
      return errorReply(405, location, `${request.method} is not supported here; use ${allow}`, { allow });
    }
    return match.handler({
      method: request.method,
      params: match.params,
      query: request.query,
      origin: request.origin,
      location,
      readBody: request.readBody,
    });
  }

  private async token(
    { request, location, traffic }: Admission,
    basic: BasicCredentials | undefined,
    retryAfter: Record<string, string> | undefined,
  ): Promise<Reply> {
    const { registry, ledger, target } = this.parts;
    if (request.method !== 'POST') {
      return errorReply(405, location, `${request.method} is not supported here; use POST`, { allow: 'POST' });
    }
    if (basic === undefined) return errorReply(401, location, 'unauthorized');
    if (!ledger.admit(traffic, 'write')) return errorReply(429, location, 'too_many_requests', retryAfter);
    const client = registry.authenticate(target, basic.user, basic.secret);
    if (client === undefined) return errorReply(401, location, 'invalid_client');

    // The docs show grant_type in the query string; clients also send it form-encoded.
    const body = new URLSearchParams(await request.readBody());
    const grantTypes = [...request.query.getAll('grant_type'), ...body.getAll('grant_type')];
    if (grantTypes.length === 0) {
      return errorReply(400, location, 'invalid_request: grant_type is required (client_credentials)');
    }
    if (grantTypes.some((g) => g !== 'client_credentials')) {
      return errorReply(400, location, 'unsupported_grant_type: only client_credentials is supported');
    }
    const granted = registry.issue(client);
    ledger.recordGrant(target, client.clientId);
    return jsonReply(200, granted);
  }
}
