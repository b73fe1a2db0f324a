/**
 * The control API under `/__sim/`: statistics, the request log, data, faults, clients
 * and tokens.
 *
 * Contract: plain JSON, no OAuth, never subject to faults or quota, never counted in
 * statistics. Bad input is a 400 naming the field; an unknown deployment is a 404.
 * `deployment` names an Anywhere deployment or `central`, except for alarms, which
 * live only in deployments. Secrets are returned once, by `POST /__sim/clients`.
 *
 *   GET    /__sim/stats                 traffic per deployment and client, token grants
 *   POST   /__sim/stats/reset           204; zeroes counters, quota windows and grants,
 *                                       and empties the request log (its seq goes on)
 *   GET    /__sim/requests              {next, requests:[{seq, at, target, clientId,
 *                                       method, path, query, status}]}: USM API
 *                                       requests with seq > after, in arrival order,
 *                                       at most limit (?after default 0, ?limit default
 *                                       1000, at most 10000; see request.log.ts);
 *                                       ?limit=0 reads the mark alone: next, the seq
 *                                       the next arrival gets
 *   POST   /__sim/alarms                201 {created:[alarm]}: alarms received now
 *   GET    /__sim/faults                {faults:{'*'|name: spec}}
 *   POST   /__sim/faults                merges a fault spec; answers the active faults
 *   DELETE /__sim/faults                clears every fault; answers {faults:{}}
 *   GET    /__sim/clients               {clients:[{deployment, clientId, disabled}]}
 *   POST   /__sim/clients               201 {deployment, clientId, clientSecret}
 *   POST   /__sim/clients/disable       {deployment, clientId, disabled:true}
 *   DELETE /__sim/clients               204; body or query {deployment, clientId}
 *   POST   /__sim/tokens/revoke         {revoked:n}
 */
import { alarmBytes } from './alarm.record.js';
import type { ClientRegistry } from './client.registry.js';
import {
  integerParameter,
  optionalText,
  parseAlarmBatch,
  parseJsonObject,
  refuseUnknown,
  refuseUnknownParameters,
  requiredText,
  type JsonObject,
} from './control.input.js';
import { ALL_TARGETS, parseFaultPatch, type FaultInjector, type FaultSpec } from './fault.injector.js';
import { HttpProblem, jsonReply, type Reply } from './json.reply.js';
import type { RequestLog } from './request.log.js';
import { RouteTable, type RouteHandler, type RouteRequest } from './route.table.js';
import type { TrafficLedger } from './traffic.ledger.js';
import type { UsmDataset } from './usm.dataset.js';

export const CONTROL_BASE = '/__sim';

export interface ControlParts {
  dataset: UsmDataset;
  registry: ClientRegistry;
  ledger: TrafficLedger;
  requests: RequestLog;
  faults: FaultInjector;
  /** Every API target: the deployment names and `central`. */
  targets: readonly string[];
  now: () => number;
}

const REQUESTS_DEFAULT_LIMIT = 1000;
const REQUESTS_MAX_LIMIT = 10_000;

const FAULT_FIELDS = [
  'deployment',
  'latencyMs',
  'errorStatus',
  'errorRate',
  'resetRate',
  'tokenEndpointDown',
  'retryAfterSeconds',
];

export function controlRoutes(parts: ControlParts): RouteTable<RouteHandler> {
  const { dataset, registry, ledger, requests, faults, targets, now } = parts;

  const body = async (request: RouteRequest): Promise<JsonObject> => parseJsonObject(await request.readBody());
  const target = (name: string): string => {
    if (!targets.includes(name)) throw new HttpProblem(404, `unknown deployment '${name}'; known: ${targets.join(', ')}`);
    return name;
  };
  const noContent: Reply = { status: 204 };
  const activeFaults = () => jsonReply(200, { faults: faults.active() as Record<string, FaultSpec> });

  return new RouteTable<RouteHandler>()
    .add('GET', '/stats', () => jsonReply(200, ledger.snapshot()))
    .add('POST', '/stats/reset', () => {
      ledger.reset();
      requests.clear();
      return noContent;
    })
    .add('GET', '/requests', ({ query }) => {
      refuseUnknownParameters(query, ['after', 'limit']);
      const after = integerParameter(query, 'after', 0, 0, Number.MAX_SAFE_INTEGER);
      const limit = integerParameter(query, 'limit', REQUESTS_DEFAULT_LIMIT, 0, REQUESTS_MAX_LIMIT);
      return jsonReply(200, requests.read(after, limit));
    })
    .add('POST', '/alarms', async (request) => {
      const input = await body(request);
      refuseUnknown(input, ['deployment', 'count', 'alarms']);
      const name = requiredText(input, 'deployment');
      if (dataset.deployment(name) === undefined) {
        const names = dataset.profiles.map((p) => p.name).join(', ');
        throw new HttpProblem(404, `unknown deployment '${name}'; alarms live in: ${names}`);
      }
      const at = now();
      const created = dataset.createAlarms(name, parseAlarmBatch(input, at), at);
      const docs = created.map((alarm) => alarmBytes(alarm, request.origin).toString('utf8'));
      return { status: 201, body: `{"created":[${docs.join(',')}]}` };
    })
    .add('GET', '/faults', activeFaults)
    .add('POST', '/faults', async (request) => {
      const input = await body(request);
      refuseUnknown(input, FAULT_FIELDS);
      const name = optionalText(input, 'deployment');
      faults.apply(name === undefined ? ALL_TARGETS : target(name), parseFaultPatch(input));
      return activeFaults();
    })
    .add('DELETE', '/faults', () => {
      faults.clear();
      return activeFaults();
    })
    .add('GET', '/clients', () => jsonReply(200, { clients: registry.list() }))
    .add('POST', '/clients', async (request) => {
      const input = await body(request);
      refuseUnknown(input, ['deployment', 'clientId', 'clientSecret']);
      const client = registry.add(
        target(requiredText(input, 'deployment')),
        optionalText(input, 'clientId'),
        optionalText(input, 'clientSecret'),
      );
      return jsonReply(201, { deployment: client.target, clientId: client.clientId, clientSecret: client.secret });
    })
    .add('POST', '/clients/disable', async (request) => {
      const input = await body(request);
      refuseUnknown(input, ['deployment', 'clientId']);
      const name = target(requiredText(input, 'deployment'));
      const clientId = requiredText(input, 'clientId');
      if (!registry.disable(name, clientId)) throw new HttpProblem(404, `no client '${clientId}' in '${name}'`);
      return jsonReply(200, { deployment: name, clientId, disabled: true });
    })
    .add('DELETE', '/clients', async (request) => {
      const input = await body(request);
      for (const key of ['deployment', 'clientId']) {
        const fromQuery = request.query.get(key);
        if (input[key] === undefined && fromQuery !== null) input[key] = fromQuery;
      }
      refuseUnknown(input, ['deployment', 'clientId']);
      const name = target(requiredText(input, 'deployment'));
      const clientId = requiredText(input, 'clientId');
      if (!registry.remove(name, clientId)) throw new HttpProblem(404, `no client '${clientId}' in '${name}'`);
      return noContent;
    })
    .add('POST', '/tokens/revoke', async (request) => {
      const input = await body(request);
      refuseUnknown(input, ['deployment', 'clientId']);
      const name = optionalText(input, 'deployment');
      return jsonReply(200, {
        revoked: registry.revoke(name === undefined ? undefined : target(name), optionalText(input, 'clientId')),
      });
    });
}
