/**
 * What each field of this schema costs upstream: the rules `estimateCost` applies
 * (`src/protection/cost.estimator.ts`), next to the resolvers whose calls they predict.
 *
 * Contract: for a cold cache the estimate is never below the calls the operation makes
 * (a test holds every example operation to that); it may be above, where a cache or a
 * list already answers what a lookup would fetch. Counted per field:
 * - a connection (`alarms`, `events`, `alarmPage`): one upstream page per feed source
 *   (each readable deployment, plus Central's feed for deployments read through it),
 *   `first`/`last` + 1 rows (+8 after a cursor) being at most 109 of the upstream's 500;
 *   under a list of deployments, one page per distinct deployment, since identical page
 *   reads share one call (`DocumentCache` single flight; not when `CACHE_PAGE_TTL_MS=0`);
 * - a lookup (`alarm`, `event`, `node`, `nodes`, `_entities`): one call per distinct id;
 * - Central's deployment list: once per operation, whenever a field may need it;
 * - a label write: the idempotent PUT and the read-back of the alarm.
 * A deployment read through Central is counted at three Central pages: its alarms are a
 * part of Central's merged feed, which the facade reads on (in growing pages) until it
 * has enough of them.
 */
import type { FieldCost, FieldCostRules, UpstreamCalls } from '../protection/cost.estimator.js';
import { upstreamPageSize } from '../pagination/feed.paginator.js';
import { decodeGlobalId, type NodeType } from './node/global.id.js';
import { MAX_NODES } from './node/node.resolver.js';

/** What the estimate needs to know of the upstreams, read when an operation is costed. */
export interface UpstreamTopology {
  /** Deployments the facade reads with credentials of its own. */
  readonly readable: readonly string[];
  /** Whether USM Central is configured. */
  readonly central: boolean;
  /** How many deployments are known in all: Central's list when seen, else the readable ones. */
  knownDeployments(): number;
  /** Whether identical page reads at the same time share one call (the page cache is on). */
  readonly sharesPages: boolean;
}

/**
 * The topology of a running facade: the deployments it reads itself, and how many Central
 * lists once its list has been read (`listed`, from the cache: the estimate makes no call
 * of its own), never fewer than were known before. `knownDeployments` also serves as the
 * cost estimator's epoch: estimates kept for a document are made again when it grows.
 */
export function observedTopology(options: {
  readable: readonly string[];
  central: boolean;
  sharesPages: boolean;
  listed: () => number | undefined;
}): UpstreamTopology {
  let known = options.readable.length;
  return {
    readable: options.readable,
    central: options.central,
    sharesPages: options.sharesPages,
    knownDeployments: () => (known = Math.max(known, options.listed() ?? 0)),
  };
}

/** Pages of 500 rows the largest Relay page (100 items, after a cursor) needs from one source. */
const PAGES_PER_SOURCE = Math.ceil(upstreamPageSize(100, true) / 500);
/** Central pages read for deployments narrowed out of Central's feed (see the contract). */
const NARROWED_CENTRAL_PAGES = 3;
/** `alarmCreated(since:)` replays at most 1,000 alarms: windows of up to 500 rows, doubling. */
const REPLAY_PAGES_PER_SOURCE = 3;

const LARGEST_PAGE = 100;

/** Relay's page size as the resolvers read it (20 without `first`/`last`): larger ones are refused before any call. */
export function relayPageSize(args: Readonly<Record<string, unknown>>): number {
  const count = typeof args['first'] === 'number' ? args['first'] : typeof args['last'] === 'number' ? args['last'] : 20;
  return Math.max(0, Math.min(LARGEST_PAGE, count));
}

export function fieldCostRules(topology: UpstreamTopology): FieldCostRules {
  const list: readonly UpstreamCalls[] = topology.central ? [{ count: 1, shareKey: 'deployments' }] : [];
  const isReadable = (name: unknown) => typeof name === 'string' && topology.readable.includes(name);
  /** Calls of one alarm feed over `deployment` (one, or all when omitted), per poll or page. */
  const alarmFeed = (deployment: unknown, pagesPerSource: number): number => {
    if (deployment !== undefined && deployment !== null) {
      return isReadable(deployment) ? pagesPerSource : topology.central ? NARROWED_CENTRAL_PAGES * pagesPerSource : 0;
    }
    const throughCentral = topology.central && topology.knownDeployments() > topology.readable.length;
    return (topology.readable.length + (throughCentral ? NARROWED_CENTRAL_PAGES : 0)) * pagesPerSource;
  };
  const eventFeed = (deployment: unknown): number =>
    deployment !== undefined && deployment !== null ? (isReadable(deployment) ? PAGES_PER_SOURCE : 0) : topology.readable.length * PAGES_PER_SOURCE;
  const share = (field: string, args: Readonly<Record<string, unknown>>) =>
    topology.sharesPages ? `${field}:${JSON.stringify(args)}` : undefined;

  const rootAlarms = (field: string) => ({ args }: { args: Readonly<Record<string, unknown>> }): FieldCost => ({
    calls: [...list, { count: alarmFeed(args['deployment'], PAGES_PER_SOURCE), shareKey: share(field, args) }],
    items: relayPageSize(args),
  });
  /** One page per distinct parent deployment (at most every known one). */
  const perDeployment = (field: string, perParent: number) => ({ args, parents }: { args: Readonly<Record<string, unknown>>; parents: number }): FieldCost => {
    const distinct = topology.sharesPages ? Math.min(parents, topology.knownDeployments()) : parents;
    const narrowed = topology.central && topology.knownDeployments() > topology.readable.length ? NARROWED_CENTRAL_PAGES : 1;
    return { calls: [...list, { count: distinct * perParent * narrowed, shareKey: share(field, args) }], items: relayPageSize(args) };
  };
  /** A lookup by global ID: one call per distinct id of a document type, the list for a deployment. */
  const lookups = (ids: readonly unknown[]): UpstreamCalls[] => {
    const calls: UpstreamCalls[] = [];
    for (const id of new Set(ids)) {
      let type: NodeType;
      try {
        type = typeof id === 'string' ? decodeGlobalId(id).type : 'Alarm';
      } catch {
        continue; // A malformed id is refused before any call.
      }
      if (type !== 'Deployment') calls.push({ count: 1, shareKey: `${type}:${String(id)}` });
    }
    return [...list, ...calls];
  };
  const lookup = ({ args }: { args: Readonly<Record<string, unknown>> }): FieldCost => ({ calls: lookups([args['id']]) });
  const deploymentField = (): FieldCost => ({ calls: list });
  const labelWrite = ({ parents }: { parents: number }): FieldCost => ({ calls: [{ count: 2 * parents }] });

  return {
    'Query.alarms': rootAlarms('alarms'),
    'Subscription.alarmPage': rootAlarms('alarmPage'),
    'Subscription.alarmCreated': ({ args }) => ({
      calls: [...list, { count: alarmFeed(args['deployment'], args['since'] == null ? PAGES_PER_SOURCE : PAGES_PER_SOURCE + REPLAY_PAGES_PER_SOURCE) }],
    }),
    'Deployment.alarms': perDeployment('Deployment.alarms', PAGES_PER_SOURCE),
    'Query.events': ({ args }) => ({ calls: [...list, { count: eventFeed(args['deployment']), shareKey: share('events', args) }], items: relayPageSize(args) }),
    'Deployment.events': ({ args, parents }) => ({
      calls: [...list, { count: (topology.sharesPages ? Math.min(parents, topology.readable.length) : parents) * PAGES_PER_SOURCE, shareKey: share('Deployment.events', args) }],
      items: relayPageSize(args),
    }),
    'Query.alarm': lookup,
    'Query.event': lookup,
    'Query.node': lookup,
    'Query.nodes': ({ args }) => {
      const ids = Array.isArray(args['ids']) ? args['ids'] : [args['ids']];
      // More ids than `nodes` takes are refused before any call.
      return ids.length > MAX_NODES ? {} : { calls: lookups(ids), items: ids.length };
    },
    'Query._entities': ({ args }) => {
      const representations = Array.isArray(args['representations']) ? args['representations'] : [];
      const ids = representations.map((r) => (r !== null && typeof r === 'object' ? (r as Record<string, unknown>)['id'] : undefined));
      return { calls: lookups(ids), items: representations.length };
    },
    'Query.deployments': () => ({ calls: list, items: topology.knownDeployments() }),
    'Query.deployment': deploymentField,
    'Alarm.deployment': deploymentField,
    'Event.deployment': deploymentField,
    'Mutation.addAlarmLabel': labelWrite,
    'Mutation.removeAlarmLabel': labelWrite,
  };
}
