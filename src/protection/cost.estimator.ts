/**
 * Predicts, from a document and its variables alone, how many upstream calls an
 * operation can make: the facade's cost, in the unit the upstream quota is counted in.
 *
 * Contract:
 * - `estimateCost` walks the operation's selections (`operation.walk.ts`: fragments
 *   followed, `@skip` and `@include` honoured, variables with their declared defaults)
 *   and asks `rules` about each field by its schema coordinate (`Query.alarms`,
 *   `Deployment.alarms`); a field without a rule costs nothing and passes its parents'
 *   count on to its children.
 * - A rule sees the field's arguments (literals and variables, untyped) and how many
 *   parent objects the field is resolved for (`parents`: the product of the list sizes
 *   above it), and answers the calls it makes for all of them together and how many
 *   items each parent's value holds (`items`, the multiplier for the fields below).
 * - Calls under one `shareKey` are made once per operation however often they are
 *   selected (the request's loaders and caches share them): the largest is counted once.
 * - `costEstimator` keeps the estimate of each operation without variables (what a
 *   dashboard sends again and again) until `epoch()` changes (the facade's: how many
 *   deployments it knows), so a repeated operation is walked once.
 * - It never fails on a document that validated; it does no I/O.
 */
import type { DocumentNode, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import { keptPerOperation, walkOperation } from './operation.walk.js';

/** Some upstream calls a field makes. */
export interface UpstreamCalls {
  count: number;
  /** Calls with the same key are made once in the whole operation: the largest count under a key is counted. */
  shareKey?: string;
}

export interface FieldCost {
  calls?: readonly UpstreamCalls[];
  /** Items in each parent's value (a connection's page size, a list's length); default 1. */
  items?: number;
}

export interface FieldCostInput {
  args: Readonly<Record<string, unknown>>;
  /** How many objects the field is resolved on: the product of the list sizes above it. */
  parents: number;
}

export type FieldCostRule = (field: FieldCostInput) => FieldCost;

/** Rules by schema coordinate, e.g. `Query.alarms`. */
export type FieldCostRules = Readonly<Record<string, FieldCostRule>>;

export interface EstimateInput {
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  variables: Readonly<Record<string, unknown>> | undefined;
  rules: FieldCostRules;
}

export function estimateCost({ schema, document, operation, variables, rules }: EstimateInput): number {
  let unshared = 0;
  const shared = new Map<string, number>();
  walkOperation({ schema, document, operation, variables }, 1, ({ coordinate, args }, parents) => {
    const cost = rules[coordinate]?.({ args, parents }) ?? {};
    for (const calls of cost.calls ?? []) {
      if (calls.shareKey === undefined) unshared += calls.count;
      else shared.set(calls.shareKey, Math.max(shared.get(calls.shareKey) ?? 0, calls.count));
    }
    return parents * (cost.items ?? 1);
  });
  let total = unshared;
  for (const count of shared.values()) total += count;
  return total;
}

export interface CostEstimatorOptions {
  schema: GraphQLSchema;
  rules: FieldCostRules;
  /** What the rules' answers depend on besides the document; a change forgets kept estimates. Default constant. */
  epoch?: () => number;
}

/** `estimateCost` for one schema and its rules, remembering the estimates of operations without variables. */
export function costEstimator(options: CostEstimatorOptions) {
  const { schema, rules } = options;
  return keptPerOperation((document, operation, variables) => estimateCost({ schema, document, operation, variables, rules }), options.epoch ?? (() => 0));
}
