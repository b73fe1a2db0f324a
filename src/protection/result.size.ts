/**
 * Predicts, from a document and its variables alone, the most objects an operation can
 * answer (GitHub's node count): what `MAX_RESULT_NODES` bounds, so an answer of 150,000
 * alarms is refused before it is read, not after it was serialised.
 *
 * Contract:
 * - `countResultNodes` counts every value of a composite type (object, interface, union)
 *   the answer can hold: one per parent for a field of one object, the list's largest
 *   length per parent for a list, whatever is selected under it multiplied along the
 *   way. Scalars and lists of scalars (`labelIds`) count nothing; a value that can be
 *   null counts as if it were there. Aliases count each; fragments (named and
 *   inline) are followed and `@skip`/`@include` honoured with the variables, through the
 *   walk the cost estimator uses (`operation.walk.ts`), variables with their defaults.
 *   Fragments on different types of one abstract field are added, as if each object were
 *   of every type: an upper bound. A subscription is counted per payload.
 * - The lists' lengths are the `rules`' (by schema coordinate, e.g. `Query.nodes`), a
 *   rule answering from the field's arguments: a list field's own rule sizes it; a rule
 *   with `sizedFields` sizes those list fields of the object its field answers (a
 *   connection's `edges` by its `first`/`last`, as `@listSize(sizedFields:)` does).
 * - `resultSizeCounter` refuses, when made, rules that leave a list of objects in the
 *   schema without a length, naming it: afterwards a count never fails on a document that
 *   validated. It keeps counts as `costEstimator` keeps estimates (`epoch`). No I/O.
 */
import {
  getNamedType,
  getNullableType,
  isAbstractType,
  isListType,
  isObjectType,
  type DocumentNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { keptPerOperation, walkOperation } from './operation.walk.js';

/** The largest length of a list field, or of the `sizedFields` of the object its field answers. */
export interface ListSizeRule {
  /** Items per parent, from the field's arguments (literals and variables, untyped). */
  items: (args: Readonly<Record<string, unknown>>) => number;
  /** List fields of this field's object that hold `items` each (a connection's `edges`); absent: this field is the list. */
  sizedFields?: readonly string[];
}

/** Rules by schema coordinate, e.g. `Query.nodes`, `Deployment.alarms`. */
export type ListSizeRules = Readonly<Record<string, ListSizeRule>>;

export interface ResultSizeInput {
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  variables: Readonly<Record<string, unknown>> | undefined;
  rules: ListSizeRules;
}

const isComposite = (type: unknown) => isObjectType(type) || isAbstractType(type);

/** The objects one field is walked into: how many there are, and the lengths its rule gives its list fields. */
interface Objects {
  count: number;
  sized?: ReadonlyMap<string, number>;
}

export function countResultNodes({ schema, document, operation, variables, rules }: ResultSizeInput): number {
  let total = 0;
  walkOperation<Objects>({ schema, document, operation, variables }, { count: 1 }, ({ coordinate, field, args }, parent) => {
    const type = getNullableType(field.type);
    if (!isComposite(getNamedType(type))) return undefined;
    const rule = rules[coordinate];
    let perParent = 1;
    if (isListType(type)) {
      const length = rule !== undefined && rule.sizedFields === undefined ? rule.items(args) : parent.sized?.get(field.name);
      if (length === undefined) throw new Error(`${coordinate} is a list of objects without a length: give it a ListSizeRule`);
      perParent = Math.max(0, length);
    }
    const count = parent.count * perParent;
    total += count;
    if (rule?.sizedFields === undefined) return { count };
    const items = Math.max(0, rule.items(args));
    return { count, sized: new Map(rule.sizedFields.map((name) => [name, items])) };
  });
  return total;
}

/**
 * The lists of objects in `schema` that `rules` leave without a length: those without a
 * rule of their own that some field answering their object does not size (or that no
 * field answers, on a root type), as `Type.field` (`via Type.field` for the field).
 */
export function unsizedLists(schema: GraphQLSchema, rules: ListSizeRules): string[] {
  const objectTypes = Object.values(schema.getTypeMap()).filter((type) => isObjectType(type) && !type.name.startsWith('__')) as GraphQLObjectType[];
  const unsized: string[] = [];
  for (const type of objectTypes) {
    for (const field of Object.values(type.getFields())) {
      const coordinate = `${type.name}.${field.name}`;
      const list = getNullableType(field.type);
      if (!isListType(list) || !isComposite(getNamedType(list)) || (rules[coordinate] !== undefined && rules[coordinate].sizedFields === undefined)) continue;
      // Sized by each field that answers this object, or by nothing.
      const answering = objectTypes.flatMap((parent) =>
        Object.values(parent.getFields()).flatMap((candidate) => {
          const named = getNamedType(candidate.type);
          const reaches = named === type || (isAbstractType(named) && schema.isSubType(named, type));
          return reaches ? [`${parent.name}.${candidate.name}`] : [];
        }),
      );
      const missing = answering.filter((via) => !(rules[via]?.sizedFields?.includes(field.name) ?? false));
      if (answering.length === 0) unsized.push(coordinate);
      for (const via of missing) unsized.push(`${coordinate} via ${via}`);
    }
  }
  return unsized;
}

export interface ResultSizeCounterOptions {
  schema: GraphQLSchema;
  rules: ListSizeRules;
  /** What the rules' answers depend on besides the document; a change forgets kept counts. Default constant. */
  epoch?: () => number;
}

/** `countResultNodes` for one schema and its rules, remembering the counts of operations without variables. */
export function resultSizeCounter(options: ResultSizeCounterOptions) {
  const { schema, rules } = options;
  const unsized = unsizedLists(schema, rules);
  if (unsized.length > 0) throw new Error(`These lists of objects have no ListSizeRule, so no answer's size can be bounded: ${unsized.join(', ')}`);
  return keptPerOperation((document, operation, variables) => countResultNodes({ schema, document, operation, variables, rules }), options.epoch ?? (() => 0));
}
