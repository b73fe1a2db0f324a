/**
 * Reads `@cost` and `@listSize` the way a router does before it sends an operation on:
 * the IBM cost spec as Apollo Router's demand control scores a fetch (its "static
 * estimated" strategy, `apollo-router/src/plugins/demand_control/cost_calculator`), on a
 * subgraph schema built from the SDL a subgraph serves. Offline and small, so a test can
 * hold the facade's directives against its own estimate.
 *
 * What it counts, and nothing else:
 * - 10 for a mutation, 0 for a query or subscription;
 * - per field: (its list size) × (its weight + its selection's cost) + its arguments'
 *   cost. The weight is `@cost` on the field, else on its return type, else 1 for an
 *   object, interface or union and 0 for a scalar or enum. A list's size is what the
 *   parent's `@listSize(sizedFields:)` says for it, else its own `@listSize` (the largest
 *   slicing argument given, literal, variable or default, else `assumedSize`), else the
 *   router's `listSize`; a field that is no list counts once;
 * - per argument: an input object weighs its `@cost` (default 1) plus its fields; a list
 *   its `@cost` (default 0) plus each item, weighed as the argument; anything else its
 *   `@cost` or its type's (default 0); null, or a variable not sent, weighs 0;
 * - `@skip`/`@include` with literal conditions drop a field; `__typename` is free.
 * `@listSize` with `requireOneSlicingArgument` (the default) refuses a field given other
 * than one slicing argument, as the router does. Directives are read by their imported
 * names (`@cost`, `@listSize`).
 */
import {
  getNamedType,
  getNullableType,
  getVariableValues,
  isCompositeType,
  isInputObjectType,
  isListType,
  Kind,
  valueFromASTUntyped,
  type ConstDirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

export interface RouterCostOptions {
  /** The subgraph schema, built from its SDL (`buildSubgraphSchema`), with `@cost`/`@listSize` on its AST nodes. */
  schema: GraphQLSchema;
  document: DocumentNode;
  variables?: Record<string, unknown>;
  /** The router's size for a list without `@listSize` (Apollo Router's `static_estimated.list_size`). */
  listSize: number;
}

interface SizedFields {
  size: number | undefined;
  fields: readonly string[];
}

export function routerCost({ schema, document, variables = {}, listSize }: RouterCostOptions): number {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  let total = 0;
  for (const operation of operations) {
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
    if (coerced.errors !== undefined) throw new Error(coerced.errors.map((e) => e.message).join('; '));
    const values = coerced.coerced;
    const root = schema.getRootType(operation.operation);
    if (root === undefined || root === null) throw new Error(`the schema has no ${operation.operation} type`);

    const selectionSet = (set: SelectionSetNode, type: GraphQLNamedType, sized: SizedFields | undefined): number => {
      let cost = 0;
      for (const selection of set.selections) {
        if (selection.kind === Kind.FIELD) cost += field(selection, type, sized);
        else if (selection.kind === Kind.INLINE_FRAGMENT) {
          cost += selectionSet(selection.selectionSet, selection.typeCondition ? schema.getType(selection.typeCondition.name.value)! : type, sized);
        } else {
          const fragment = fragments.get(selection.name.value)!;
          cost += selectionSet(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value)!, sized);
        }
      }
      return cost;
    };

    const field = (node: FieldNode, parent: GraphQLNamedType, sized: SizedFields | undefined): number => {
      if (node.name.value === '__typename' || skipped(node)) return 0;
      const definition = ('getFields' in parent ? parent.getFields()[node.name.value] : undefined) as GraphQLField<unknown, unknown> | undefined;
      if (definition === undefined) throw new Error(`${parent.name}.${node.name.value} is not in the schema`);
      const named = getNamedType(definition.type);
      const sizing = listSizeOf(definition, node, values);
      const instances = !isListType(getNullableType(definition.type))
        ? 1
        : (sized !== undefined && sized.fields.includes(node.name.value) ? sized.size : undefined) ?? sizing?.size ?? listSize;
      let typeCost = weightOf(definition.astNode?.directives) ?? weightOf(named.astNode?.directives) ?? (isCompositeType(named) ? 1 : 0);
      if (node.selectionSet !== undefined) typeCost += selectionSet(node.selectionSet, named, sizing);
      let argumentsCost = 0;
      for (const argument of node.arguments ?? []) {
        const argumentDefinition = definition.args.find((a) => a.name === argument.name.value);
        if (argumentDefinition !== undefined) argumentsCost += argumentValue(argument.value, argumentDefinition, values);
      }
      return instances * typeCost + argumentsCost;
    };

    total += (operation.operation === 'mutation' ? 10 : 0) + selectionSet(operation.selectionSet, root, undefined);
  }
  return total;
}

function skipped(node: FieldNode): boolean {
  for (const directive of node.directives ?? []) {
    const condition = directive.arguments?.find((a) => a.name.value === 'if')?.value;
    if (condition?.kind !== Kind.BOOLEAN) continue;
    if (directive.name.value === 'skip' && condition.value) return true;
    if (directive.name.value === 'include' && !condition.value) return true;
  }
  return false;
}

function directiveArgument(directives: readonly ConstDirectiveNode[] | undefined, name: string, argument: string): unknown {
  const found = directives?.find((d) => d.name.value === name)?.arguments?.find((a) => a.name.value === argument);
  return found === undefined ? undefined : valueFromASTUntyped(found.value);
}

function weightOf(directives: readonly ConstDirectiveNode[] | undefined): number | undefined {
  if (!directives?.some((d) => d.name.value === 'cost')) return undefined;
  return Number(directiveArgument(directives, 'cost', 'weight'));
}

/** The field's own `@listSize`: the size it gives (its list's, or its sized fields'). */
function listSizeOf(definition: GraphQLField<unknown, unknown>, node: FieldNode, variables: Record<string, unknown>): SizedFields | undefined {
  const directives = definition.astNode?.directives;
  if (!directives?.some((d) => d.name.value === 'listSize')) return undefined;
  const slicing = (directiveArgument(directives, 'listSize', 'slicingArguments') as string[] | undefined) ?? [];
  const given = new Map<string, number>();
  for (const name of slicing) {
    const fallback = definition.args.find((a) => a.name === name)?.defaultValue;
    if (typeof fallback === 'number') given.set(name, fallback);
    const value = node.arguments?.find((a) => a.name.value === name)?.value;
    const number = value === undefined ? undefined : valueFromASTUntyped(value, variables);
    if (typeof number === 'number') given.set(name, number);
  }
  if (slicing.length > 0 && directiveArgument(directives, 'listSize', 'requireOneSlicingArgument') !== false && given.size !== 1) {
    throw new Error(`${definition.name}: exactly one slicing argument is required, got ${given.size}`);
  }
  const assumed = directiveArgument(directives, 'listSize', 'assumedSize') as number | undefined;
  return {
    size: given.size > 0 ? Math.max(...given.values()) : assumed,
    fields: (directiveArgument(directives, 'listSize', 'sizedFields') as string[] | undefined) ?? [],
  };
}

function argumentValue(value: ValueNode, definition: GraphQLArgument | GraphQLInputField, variables: Record<string, unknown>): number {
  if (value.kind === Kind.VARIABLE) {
    const sent = variables[value.name.value];
    return sent === undefined ? 0 : variableValue(sent, definition);
  }
  if (value.kind === Kind.NULL) return 0;
  const own = weightOf(definition.astNode?.directives);
  const named = getNamedType(definition.type);
  if (value.kind === Kind.OBJECT && isInputObjectType(named)) {
    let cost = own ?? 1;
    for (const field of value.fields) cost += argumentValue(field.value, named.getFields()[field.name.value]!, variables);
    return cost;
  }
  if (value.kind === Kind.LIST) return (own ?? 0) + value.values.reduce((sum, item) => sum + argumentValue(item, definition, variables), 0);
  return own ?? weightOf(named.astNode?.directives) ?? 0;
}

function variableValue(value: unknown, definition: GraphQLArgument | GraphQLInputField): number {
  if (value === null) return 0;
  const own = weightOf(definition.astNode?.directives);
  const named = getNamedType(definition.type);
  if (Array.isArray(value)) return (own ?? 0) + value.reduce((sum: number, item) => sum + variableValue(item, definition), 0);
  if (typeof value === 'object' && isInputObjectType(named)) {
    let cost = own ?? 1;
    for (const [name, inner] of Object.entries(value as Record<string, unknown>)) cost += variableValue(inner, named.getFields()[name]!);
    return cost;
  }
  return own ?? weightOf(named.astNode?.directives) ?? 0;
}
