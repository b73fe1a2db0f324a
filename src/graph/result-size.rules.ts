/**
 * How long each list of objects in this schema can be: the rules `countResultNodes`
 * applies (`src/protection/result.size.ts`) to bound an answer before it runs, next to
 * the cost rules (`cost.rules.ts`) and from the same knowledge of the resolvers.
 *
 * Contract: every list of objects in the schema has a length here (the counter refuses
 * rules that miss one), and each is the largest the resolvers can answer, except where
 * nothing bounds the list; there the bound is assumed, and named so:
 * - a connection (`alarms`, `events`, `alarmPage`, `auditEvents`, an alarm's `events`):
 *   its `edges` hold `first` or `last`, 20 without either (larger than 100 is refused
 *   before any call: counted as 100);
 * - `nodes(ids:)`: one per id, at most 100 (more are refused); `_entities`: one per
 *   representation; a credential rotation's `entries`: one per input;
 * - `deployments`: every deployment known (`knownDeployments()`, Central's list once read);
 *   `upstreamCredentials` and a key's `upstreamUsage.upstreams`: one per deployment the
 *   facade reads with its own credentials, and Central;
 * - assumed: an alarm's `sources` and `destinations`, `ENDPOINTS_PER_ALARM` (10) each. USM
 *   bounds neither (`../shared/upstream/README.md`: objects and/or plain strings, as many
 *   as the correlation saw); alarms carry one or two. An alarm with more answers more than
 *   counted.
 * - assumed: `apiKeys`, `API_KEYS_LISTED` (1,000): the keys are in the store, which an
 *   estimate does not read; a facade's keys are counted in tens.
 * An alarm's `labelIds`, `ruleAttackTactic` and `sensorSources` are lists of strings:
 * not objects, not counted.
 */
import type { ListSizeRule, ListSizeRules } from '../protection/result.size.js';
import { relayPageSize, type UpstreamTopology } from './cost.rules.js';
import { MAX_NODES } from './node/node.resolver.js';

/** Endpoints assumed per side of an alarm (`sources`, `destinations`): USM sets no bound. */
export const ENDPOINTS_PER_ALARM = 10;
/** API keys assumed in `apiKeys`: the store is not read to estimate. */
export const API_KEYS_LISTED = 1_000;

/** A list argument's length; a single value given for a list counts one (GraphQL's input coercion). */
const lengthOf = (value: unknown): number => (Array.isArray(value) ? value.length : value === undefined || value === null ? 0 : 1);

export function resultSizeRules(topology: UpstreamTopology): ListSizeRules {
  const connection: ListSizeRule = { items: relayPageSize, sizedFields: ['edges'] };
  const upstreams: ListSizeRule = { items: () => topology.readable.length + (topology.central ? 1 : 0) };
  const endpoints: ListSizeRule = { items: () => ENDPOINTS_PER_ALARM };
  return {
    'Query.alarms': connection,
    'Query.events': connection,
    'Query.auditEvents': connection,
    'Deployment.alarms': connection,
    'Deployment.events': connection,
    'Alarm.events': connection,
    'Subscription.alarmPage': connection,
    'Query.nodes': { items: (args) => Math.min(MAX_NODES, lengthOf(args['ids'])) },
    'Query._entities': { items: (args) => lengthOf(args['representations']) },
    'Query.deployments': { items: () => topology.knownDeployments() },
    'Query.upstreamCredentials': upstreams,
    'UpstreamUsage.upstreams': upstreams,
    'Mutation.rotateUpstreamCredentials': { items: (args) => lengthOf(args['input']), sizedFields: ['entries'] },
    'Alarm.sources': endpoints,
    'Alarm.destinations': endpoints,
    'Query.apiKeys': { items: () => API_KEYS_LISTED },
  };
}
