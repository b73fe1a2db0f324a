/**
 * The one walk over an operation's selections that the protection estimates share
 * (`cost.estimator.ts`: upstream calls; `result.size.ts`: objects answered), so both read
 * a document the same way.
 *
 * Contract:
 * - `walkOperation` calls `enter` for every field the operation can select, in document
 *   order: fragments followed (named and inline; a named one at most once on a path),
 *   `@skip` and `@include` honoured with the variables, arguments evaluated with the
 *   variables, and a variable the client left out taking the default its definition
 *   declares (`$first: Int = 100` is 100, not absent).
 * - A field is told by its schema coordinate on an object type (`Query.alarms`); on an
 *   abstract parent (`Node`, `_Entity`) a field is the same field on each of its types and
 *   is entered once, as the first type that has it.
 * - `enter` answers the state its field's selections are walked with (for the cost, how
 *   many objects the field is resolved on), or undefined to walk no further; fields under
 *   one object get their parent's state, through fragments too.
 * - Meta-fields (`__typename`, `__schema`, `__type`) are not entered: the schema has no
 *   coordinate for them, and introspection is bounded by the schema, not by arguments.
 * - The document must have passed validation (no fragment cycles, fields that exist): a
 *   field the schema does not have is skipped. No I/O; it never throws of its own.
 */
import {
  getNamedType,
  isAbstractType,
  isObjectType,
  Kind,
  valueFromASTUntyped,
  type DirectiveNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

export interface WalkInput {
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  variables: Readonly<Record<string, unknown>> | undefined;
}

/** One field as the walk enters it. */
export interface EnteredField {
  /** `Type.field`, the type being an object type. */
  coordinate: string;
  field: GraphQLField<unknown, unknown>;
  /** Its arguments, literals and variables, untyped. */
  args: Readonly<Record<string, unknown>>;
}

export function walkOperation<S>(input: WalkInput, root: S, enter: (field: EnteredField, parent: S) => S | undefined): void {
  const { schema, document, operation } = input;
  const variables = withDefaults(operation, input.variables ?? {});
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }

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
  const composite = (type: unknown): type is GraphQLCompositeType => isObjectType(type) || isAbstractType(type);

  const walk = (selectionSet: SelectionSetNode, type: GraphQLCompositeType, parent: S, seen: ReadonlySet<string>): void => {
    for (const selection of selectionSet.selections) {
      if (!included(selection.directives)) continue;
      if (selection.kind === Kind.FIELD) {
        for (const objectType of possible(type)) {
          const field = objectType.getFields()[selection.name.value];
          if (field === undefined) continue;
          const args: Record<string, unknown> = {};
          for (const arg of selection.arguments ?? []) args[arg.name.value] = valueFromASTUntyped(arg.value, variables);
          const state = enter({ coordinate: `${objectType.name}.${field.name}`, field, args }, parent);
          const child = getNamedType(field.type);
          if (state !== undefined && selection.selectionSet !== undefined && composite(child)) walk(selection.selectionSet, child, state, seen);
          break;
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const on = selection.typeCondition === undefined ? type : schema.getType(selection.typeCondition.name.value);
        if (composite(on)) walk(selection.selectionSet, on, parent, seen);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (fragment === undefined || seen.has(name)) continue;
        const on = schema.getType(fragment.typeCondition.name.value);
        if (composite(on)) walk(fragment.selectionSet, on, parent, new Set([...seen, name]));
      }
    }
  };

  const rootType = schema.getRootType(operation.operation);
  if (rootType !== null && rootType !== undefined) walk(operation.selectionSet, rootType, root, new Set());
}

/** The variables with each one the client left out set to its definition's default. */
function withDefaults(operation: OperationDefinitionNode, variables: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  let merged: Record<string, unknown> | undefined;
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (definition.defaultValue === undefined || variables[name] !== undefined) continue;
    merged ??= { ...variables };
    merged[name] = valueFromASTUntyped(definition.defaultValue);
  }
  return merged ?? variables;
}

/**
 * An estimate per operation, kept for operations without variables (what a dashboard
 * sends again and again) until `epoch()` changes, so a repeated operation is walked once.
 */
export function keptPerOperation<T>(
  estimate: (document: DocumentNode, operation: OperationDefinitionNode, variables: Readonly<Record<string, unknown>> | undefined) => T,
  epoch: () => number,
) {
  const kept = new WeakMap<OperationDefinitionNode, { epoch: number; value: T }>();
  return (document: DocumentNode, operation: OperationDefinitionNode, variables: Readonly<Record<string, unknown>> | undefined): T => {
    if ((operation.variableDefinitions?.length ?? 0) > 0) return estimate(document, operation, variables);
    const now = epoch();
    const known = kept.get(operation);
    if (known !== undefined && known.epoch === now) return known.value;
    const value = estimate(document, operation, undefined);
    kept.set(operation, { epoch: now, value });
    return value;
  };
}
