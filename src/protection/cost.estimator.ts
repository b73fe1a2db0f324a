/**
 * Predicts, from a document and its variables alone, how many upstream calls an
 * operation can make: the facade's cost, in the unit the upstream quota is counted in.
 *
 * Contract:
 * - `estimateCost` walks the operation's selections (fragments followed, `@skip` and
 *   `@include` honoured with the variables) and asks `rules` about each field by its
 *   schema coordinate (`Query.alarms`, `Deployment.alarms`); a field without a rule costs
 *   nothing and passes its parents' count on to its children.
 * - A rule sees the field's arguments (literals and variables, untyped) and how many
 *   parent objects the field is resolved for (`parents`: the product of the list sizes
 *   above it), and answers the calls it makes for all of them together and how many
 *   items each parent's value holds (`items`, the multiplier for the fields below).
 * - Calls under one `shareKey` are made once per operation however often they are
 *   selected (the request's loaders and caches share them): the largest is counted once.
 * - `costEstimator` keeps the estimate of each operation without variables (what a
 *   dashboard sends again and again) until `epoch()` changes (the facade's: how many
 *   deployments it knows), so a repeated operation is walked once.
 * - It never fails on a document that validated; it does no I/O. The document must have
 *   passed validation (no fragment cycles, fields that exist): a field the schema does
 *   not have is skipped.
 */
import {
  getNamedType,
  isAbstractType,
  isObjectType,
  Kind,
  valueFromASTUntyped,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type DirectiveNode,
} from 'graphql';

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

export function estimateCost({ schema, document, operation, variables = {}, rules }: EstimateInput): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  let unshared = 0;
  const shared = new Map<string, number>();

  const included = (directives: readonly DirectiveNode[] | undefined): boolean => {
    for (const directive of directives ?? []) {
      const name = directive.name.value;
      if (name !== 'skip' && name !== 'include') continue;
      const ifArg = directive.arguments?.find((arg) => arg.name.value === 'if');
      const value = ifArg === undefined ? undefined : valueFromASTUntyped(ifArg.value, variables);
      if (name === 'skip' && value === true) return false;
      if (name === 'include' && value === false) return false;
    }
    return true;
  };

  /** Every object type a selection on `type` may run on. */
  const possible = (type: GraphQLCompositeType) => (isAbstractType(type) ? schema.getPossibleTypes(type) : [type]);

  const walk = (selectionSet: SelectionSetNode, type: GraphQLCompositeType, parents: number, seen: ReadonlySet<string>): void => {
    for (const selection of selectionSet.selections) {
      if (!included(selection.directives)) continue;
      if (selection.kind === Kind.FIELD) {
        for (const objectType of possible(type)) {
          const field = objectType.getFields()[selection.name.value];
          if (field === undefined) continue;
          const args: Record<string, unknown> = {};
          for (const arg of selection.arguments ?? []) args[arg.name.value] = valueFromASTUntyped(arg.value, variables);
          const rule = rules[`${objectType.name}.${field.name}`];
          const cost = rule?.({ args, parents }) ?? {};
          for (const calls of cost.calls ?? []) {
            if (calls.shareKey === undefined) unshared += calls.count;
            else shared.set(calls.shareKey, Math.max(shared.get(calls.shareKey) ?? 0, calls.count));
          }
          const child = getNamedType(field.type);
          if (selection.selectionSet !== undefined && (isObjectType(child) || isAbstractType(child))) {
            walk(selection.selectionSet, child, parents * (cost.items ?? 1), seen);
          }
          // An abstract parent's field is the same field on each of its types: count it once.
          if (isAbstractType(type)) break;
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const on = selection.typeCondition === undefined ? type : schema.getType(selection.typeCondition.name.value);
        if (on !== undefined && (isObjectType(on) || isAbstractType(on))) walk(selection.selectionSet, on, parents, seen);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (fragment === undefined || seen.has(name)) continue;
        const on = schema.getType(fragment.typeCondition.name.value);
        if (on !== undefined && (isObjectType(on) || isAbstractType(on))) walk(fragment.selectionSet, on, parents, new Set([...seen, name]));
      }
    }
  };

  const root = schema.getRootType(operation.operation);
  if (root !== null && root !== undefined) walk(operation.selectionSet, root, 1, new Set());
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
  const epoch = options.epoch ?? (() => 0);
  const kept = new WeakMap<OperationDefinitionNode, { epoch: number; cost: number }>();
  return (document: DocumentNode, operation: OperationDefinitionNode, variables: Readonly<Record<string, unknown>> | undefined): number => {
    if ((operation.variableDefinitions?.length ?? 0) > 0) return estimateCost({ schema, document, operation, variables, rules });
    const now = epoch();
    const known = kept.get(operation);
    if (known !== undefined && known.epoch === now) return known.cost;
    const cost = estimateCost({ schema, document, operation, variables: undefined, rules });
    kept.set(operation, { epoch: now, cost });
    return cost;
  };
}
