/**
 * The facade's cost as a router reads it: `@cost` and `@listSize` (the IBM cost
 * directives, federation 2.9) in the subgraph SDL, derived from the estimator's rules.
 *
 * What a router sees: weights in upstream calls, the unit of `MAX_OPERATION_COST`. A
 * field's `@cost` is the calls one resolve makes (a root field's also pays, once, for
 * Central's deployment list below it); an argument's is what giving it adds (`since`,
 * each id of `nodes`); every object type weighs 0; `@listSize` sizes priced connections
 * by `first`/`last` (20 without) and priced lists by their largest length. Summed as the
 * IBM spec and Apollo Router sum them, the figure is never below the facade's estimate:
 * set the router's limit to `MAX_OPERATION_COST` (Apollo Router:
 * `demand_control.strategy.static_estimated.max`; Hive Gateway: `demandControl.maxCost`)
 * and it refuses what the facade would, before the request arrives. Apollo Router adds
 * 10 per mutation: allow for it if mutations near the limit must pass.
 *
 * Contract:
 * - `costedSdl({ schema, sdl, topology, rules })` answers `sdl` with the directives for
 *   `topology`; the rest of the SDL (`@key`, `@rateLimit`, descriptions) is unchanged,
 *   printed as `printSubgraphSchema` prints it. `servedSdl` answers the same for the
 *   topology as it is when asked: Central may list more deployments than the facade
 *   has credentials for once it has been read, and the weights follow (`_service`
 *   answers it; `withServedSdl` in `schema.builder.ts`).
 * - A field with a rule gets `@cost`, always (0 says "priced, and free"); a connection
 *   or list it prices also gets `@listSize`. Arguments of input-object types weigh 0
 *   (the spec's default is 1): a filter narrows a read, the rule prices the read.
 *   Weights are integers, as federation's `@cost(weight: Int!)` has them.
 * - For every operation the reading is at least `estimateCost`'s (the tests hold every
 *   example operation to that), with the router's own list size for a list without
 *   `@listSize`. What it cannot be is exact: the IBM sum has no sharing, so identical
 *   pages under a list count once per parent, and a field's weight is its worst case
 *   over the arguments that do not carry a weight of their own.
 * - Misuse fails loudly when the SDL is made, naming the fix: a priced field whose
 *   shape the directives cannot size (a list without a known largest length, items
 *   beyond what `first`/`last` say), or rules so wide their samples cannot be tried.
 *
 * Why derived by evaluation and not rules-as-data: the rules stay the estimator's one
 * source, as they are, and each is asked here what it answers for every combination of
 * sample arguments (absent, a deployment the facade reads and one it does not, a global
 * ID of each node type, an instant, page sizes) at one parent. A call whose share key is
 * the same for every sample is made once per operation (Central's deployment list): it
 * is charged to the root fields that can reach it, not to every alarm that asks for its
 * deployment. An optional argument that raises the count carries the rise as its own
 * weight, when the rule's answers are that additive (else the field carries the worst).
 * Restating the rules as data would need a second notation as expressive as the code
 * (readable or not, through Central, replays), and a data table is as easy to get wrong.
 *
 * What it cannot say: `_entities` is added by federation and carries no directive; a
 * router prices an entity fetch at its own list size times one (`_Entity` is a union),
 * against one lookup per distinct reference plus Central's list here. Hive Gateway 2.15
 * reads otherwise than the spec in three places (test/graph/cost.router-reading.test.ts
 * measures them): a connection given neither `first` nor `last` counts one item there,
 * not `assumedSize`, so pages nested under it read low (give `first`); `nodes` reads 200
 * (an argument's weight times the list's 100, and the `Node` interface's default 1 per
 * item despite `@cost(weight: 0)`), so a Hive limit of 100 refuses every `nodes`; and
 * mutations get no 10.
 */
import {
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isUnionType,
  Kind,
  parse,
  visit,
  type ConstArgumentNode,
  type ConstDirectiveNode,
  type ConstValueNode,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import { buildSubgraphSchema, printSubgraphSchema } from '@apollo/subgraph';
import type { FieldCost, FieldCostRule, FieldCostRules, UpstreamCalls } from '../protection/cost.estimator.js';
import type { UpstreamTopology } from './cost.rules.js';
import { encodeGlobalId, NODE_TYPES, type NodeType } from './node/global.id.js';
import { MAX_NODES } from './node/node.resolver.js';

export interface CostedSdlOptions {
  /** The facade's executable subgraph schema (`buildFacadeSchema().schema`): its fields, arguments and types. */
  schema: GraphQLSchema;
  /** Its SDL (`buildFacadeSchema().sdl`), which the directives are added to. */
  sdl: string;
  /** The upstreams the weights are for. */
  topology: UpstreamTopology;
  /** The estimator's rules for `topology` (`fieldCostRules(topology)`): the weights' one source. */
  rules: FieldCostRules;
}

/** The largest list a list argument takes, for lists a rule sizes by it (`nodes(ids:)`). */
const LIST_ARGUMENT_LIMITS: Readonly<Record<string, number>> = { 'Query.nodes': MAX_NODES };
/** A deployment name no topology has: a name the facade cannot read. */
const UNKNOWN_DEPLOYMENT = 'not-a-deployment';
/** Combinations of samples tried per field at most: past it the SDL is refused, not guessed. */
const MAX_PROBES = 50_000;

/** `sdl` with `@cost` and `@listSize` for `topology` (see the contract). */
export function costedSdl(options: CostedSdlOptions): string {
  return render(options.sdl, annotate(options));
}

/** `costedSdl` for the topology as it is when called, made again only when its deployment count changes. */
export function servedSdl(options: CostedSdlOptions): () => string {
  let kept: { deployments: number; sdl: string } | undefined;
  return () => {
    const deployments = options.topology.knownDeployments();
    if (kept?.deployments !== deployments) kept = { deployments, sdl: costedSdl(options) };
    return kept.sdl;
  };
}

/** What one combination of sample arguments made a rule answer. */
interface Probe {
  args: Record<string, unknown>;
  calls: readonly UpstreamCalls[];
  items: number | undefined;
}

/** One priced field, as the rules answered at one parent. */
interface FieldPrice {
  /** Calls each time the field is resolved, its weighted arguments absent. */
  base: number;
  /** What each optional argument adds when given, and each item of a list argument. */
  argumentWeights: Map<string, number>;
  /** Calls made once per operation whoever asks (by share key): the largest count. */
  once: Map<string, number>;
  probes: Probe[];
}

interface Annotations {
  /** `Type.field` → its `@cost` weight. */
  fieldWeights: Map<string, number>;
  /** `Type.field` → its `@listSize` arguments. */
  listSizes: Map<string, ListSize>;
  /** `Type.field(argument)` → the argument's `@cost` weight. */
  argumentWeights: Map<string, number>;
  /** Types weighing 0, and input fields weighing 0 (`Input.field`). */
  freeTypes: Set<string>;
  freeInputFields: Set<string>;
}

interface ListSize {
  assumedSize: number;
  slicingArguments?: string[];
  sizedFields?: string[];
}

function annotate({ schema, sdl, topology, rules }: CostedSdlOptions): Annotations {
  const document = parse(sdl);
  const roots = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((t) => (t ? [t.name] : [])));
  /** The SDL's object fields by coordinate: `_entities` and `_service` are federation's, not in it. */
  const fields = new Map<string, { type: string; field: GraphQLField<unknown, unknown> }>();
  const annotations: Annotations = {
    fieldWeights: new Map(),
    listSizes: new Map(),
    argumentWeights: new Map(),
    freeTypes: new Set(),
    freeInputFields: new Set(),
  };
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OBJECT_TYPE_DEFINITION) {
      const type = schema.getType(definition.name.value);
      if (!isObjectType(type)) continue;
      if (!roots.has(type.name)) annotations.freeTypes.add(type.name);
      for (const { name } of definition.fields ?? []) fields.set(`${type.name}.${name.value}`, { type: type.name, field: type.getFields()[name.value]! });
    } else if (definition.kind === Kind.INPUT_OBJECT_TYPE_DEFINITION) {
      const type = schema.getType(definition.name.value);
      if (!isInputObjectType(type)) continue;
      for (const field of Object.values(type.getFields())) {
        if (isInputObjectType(getNamedType(field.type))) annotations.freeInputFields.add(`${type.name}.${field.name}`);
      }
    }
  }

  const prices = new Map<string, FieldPrice>();
  for (const [coordinate, { field }] of fields) {
    const rule = rules[coordinate];
    if (rule !== undefined) prices.set(coordinate, price(coordinate, field, rule, topology));
  }

  for (const [coordinate, { type, field }] of fields) {
    for (const argument of field.args) {
      if (isInputObjectType(getNamedType(argument.type))) annotations.argumentWeights.set(`${coordinate}(${argument.name})`, 0);
    }
    const fieldPrice = prices.get(coordinate);
    // A root field pays, once, for the calls any field below it makes once per operation.
    const charge = roots.has(type) ? onceBelow(schema, field, prices) : 0;
    if (fieldPrice === undefined) {
      if (charge > 0) annotations.fieldWeights.set(coordinate, charge);
      continue;
    }
    for (const [argument, weight] of fieldPrice.argumentWeights) annotations.argumentWeights.set(`${coordinate}(${argument})`, weight);
    const shape = shapeOf(coordinate, field, fieldPrice);
    switch (shape.kind) {
      case 'single':
      case 'connection':
        annotations.fieldWeights.set(coordinate, fieldPrice.base + charge);
        if (shape.kind === 'connection') annotations.listSizes.set(coordinate, shape.size);
        break;
      case 'list':
        // The router multiplies a list field's weight by its size: spread the calls over it.
        annotations.fieldWeights.set(coordinate, Math.ceil((fieldPrice.base + charge) / shape.size.assumedSize));
        annotations.listSizes.set(coordinate, shape.size);
        break;
      case 'listByArgument': {
        // The list argument weighs its own weight once for the list and once per item
        // (the spec's list argument): the list carries the per-resolve calls, each item its own.
        const perList = fieldPrice.base + charge;
        const perItem = fieldPrice.argumentWeights.get(shape.argument) ?? 0;
        annotations.fieldWeights.set(coordinate, 0);
        annotations.argumentWeights.set(`${coordinate}(${shape.argument})`, Math.max(perItem, perList));
        annotations.listSizes.set(coordinate, shape.size);
        break;
      }
    }
  }
  return annotations;
}

/** How a router sizes a priced field: by itself, by `first`/`last`, by an assumed length, by a list argument. */
type Shape =
  | { kind: 'single' }
  | { kind: 'connection'; size: ListSize }
  | { kind: 'list'; size: ListSize }
  | { kind: 'listByArgument'; size: ListSize; argument: string };

function shapeOf(coordinate: string, field: GraphQLField<unknown, unknown>, fieldPrice: FieldPrice): Shape {
  const { probes } = fieldPrice;
  const largestItems = (among: readonly Probe[]) => Math.max(1, ...among.map((p) => p.items ?? 1));
  if (isListType(getNullableType(field.type))) {
    const listArgument = field.args.find((a) => isListType(getNullableType(a.type)));
    if (listArgument === undefined) return { kind: 'list', size: { assumedSize: largestItems(probes) } };
    const limit = LIST_ARGUMENT_LIMITS[coordinate];
    if (limit === undefined) {
      throw new Error(`${coordinate} is a list sized by its argument ${listArgument.name}: add its largest accepted length to LIST_ARGUMENT_LIMITS in cost.directives.ts`);
    }
    return { kind: 'listByArgument', size: { assumedSize: limit }, argument: listArgument.name };
  }
  const named = getNamedType(field.type);
  const edges = isObjectType(named) ? named.getFields()['edges'] : undefined;
  if (edges !== undefined && isListType(getNullableType(edges.type))) {
    const slicing = field.args.filter((a) => a.name === 'first' || a.name === 'last').map((a) => a.name);
    const sliced = (p: Probe) => slicing.some((name) => p.args[name] !== undefined);
    for (const probe of probes.filter(sliced)) {
      const asked = Math.max(...slicing.map((name) => (typeof probe.args[name] === 'number' ? (probe.args[name] as number) : 0)));
      if ((probe.items ?? 1) > asked) {
        throw new Error(`${coordinate}: its rule answers ${probe.items} items for ${JSON.stringify(probe.args)}, more than a router reads from first/last`);
      }
    }
    const size: ListSize = { assumedSize: largestItems(probes.filter((p) => !sliced(p))), sizedFields: ['edges'] };
    if (slicing.length > 0) size.slicingArguments = slicing;
    return { kind: 'connection', size };
  }
  const itemized = probes.find((p) => (p.items ?? 1) > 1);
  if (itemized !== undefined) {
    throw new Error(`${coordinate} is neither a list nor a connection, but its rule answers ${itemized.items} items: a router would count it once`);
  }
  return { kind: 'single' };
}

/** What `rule` answers at one parent for every combination of sample arguments, priced. */
function price(coordinate: string, field: GraphQLField<unknown, unknown>, rule: FieldCostRule, topology: UpstreamTopology): FieldPrice {
  const samples = field.args.map((argument) => ({ name: argument.name, values: samplesOf(argument, topology) }));
  const combinations = samples.reduce((n, s) => n * s.values.length, 1);
  if (combinations > MAX_PROBES) {
    throw new Error(`${coordinate}: ${combinations} combinations of sample arguments, more than ${MAX_PROBES}; give samplesOf fewer values for its arguments`);
  }
  const probes: Probe[] = [];
  const tryAll = (index: number, args: Record<string, unknown>) => {
    if (index === samples.length) {
      const cost: FieldCost = rule({ args, parents: 1 });
      probes.push({ args: { ...args }, calls: cost.calls ?? [], items: cost.items });
      return;
    }
    const { name, values } = samples[index]!;
    for (const value of values) {
      if (value === undefined) delete args[name];
      else args[name] = value;
      tryAll(index + 1, args);
    }
    delete args[name];
  };
  tryAll(0, {});

  // A key every sample answers alike does not depend on the arguments: one call per operation.
  const keysOf = (p: Probe) => new Set(p.calls.flatMap((c) => (c.shareKey === undefined ? [] : [c.shareKey])));
  const [first, ...rest] = probes.map(keysOf);
  const onceKeys = new Set([...(first ?? [])].filter((key) => rest.every((keys) => keys.has(key))));
  const once = new Map<string, number>();
  for (const probe of probes) {
    for (const calls of probe.calls) {
      if (calls.shareKey !== undefined && onceKeys.has(calls.shareKey)) once.set(calls.shareKey, Math.max(once.get(calls.shareKey) ?? 0, calls.count));
    }
  }
  const costOf = (p: Probe) => p.calls.reduce((sum, c) => sum + (c.shareKey !== undefined && onceKeys.has(c.shareKey) ? 0 : c.count), 0);
  // A router multiplies a weight by the parents above it: the rule must grow no faster.
  for (const probe of probes) {
    const { calls = [] } = rule({ args: probe.args, parents: 2 });
    const twice = costOf({ ...probe, calls });
    const grownOnce = calls.find((c) => c.shareKey !== undefined && onceKeys.has(c.shareKey) && c.count > once.get(c.shareKey)!);
    if (twice > 2 * costOf(probe) || grownOnce !== undefined) {
      throw new Error(`${coordinate}: its rule answers more calls for 2 parents than twice those for 1 (${JSON.stringify(probe.args)}); weights per parent cannot bound it`);
    }
  }

  // Optional arguments that raise the count carry the rise, and list arguments the rise
  // per item, if that bounds every sample; else the field carries its worst sample.
  const isList = (a: GraphQLArgument) => isListType(getNullableType(a.type));
  const optional = field.args.filter((a) => !isNonNullType(a.type) && !isList(a)).map((a) => a.name);
  const lists = field.args.filter(isList).map((a) => a.name);
  const lengthOf = (p: Probe, name: string) => (Array.isArray(p.args[name]) ? (p.args[name] as unknown[]).length : 0);
  const keyOf = (args: Record<string, unknown>) => JSON.stringify(field.args.map((a) => args[a.name] ?? null));
  const byArgs = new Map(probes.map((p) => [keyOf(p.args), p]));
  const rise = (among: readonly Probe[], name: string, neutral: unknown) =>
    Math.max(0, ...among.map((p) => costOf(p) - costOf(byArgs.get(keyOf({ ...p.args, [name]: neutral }))!)));
  const base = Math.max(0, ...probes.filter((p) => optional.every((name) => p.args[name] === undefined) && lists.every((name) => lengthOf(p, name) === 0)).map(costOf));
  const argumentWeights = new Map<string, number>();
  for (const name of optional) argumentWeights.set(name, rise(probes.filter((p) => p.args[name] !== undefined), name, undefined));
  for (const name of lists) argumentWeights.set(name, rise(probes.filter((p) => lengthOf(p, name) === 1), name, []));
  const bound = (p: Probe) =>
    base +
    optional.reduce((sum, name) => sum + (p.args[name] !== undefined ? argumentWeights.get(name)! : 0), 0) +
    lists.reduce((sum, name) => sum + lengthOf(p, name) * argumentWeights.get(name)!, 0);
  if (probes.every((p) => costOf(p) <= bound(p))) {
    for (const [name, weight] of argumentWeights) if (weight === 0) argumentWeights.delete(name);
    return { base, argumentWeights, once, probes };
  }
  if (lists.length > 0) {
    throw new Error(`${coordinate}: its rule is not a number of calls per item of ${lists.join(', ')}, so no @cost on the list can bound it; change the rule or price it here`);
  }
  return { base: Math.max(0, ...probes.map(costOf)), argumentWeights: new Map(), once, probes };
}

/** The values an argument is tried at: each that can change which upstream is read, or how often. */
function samplesOf(argument: GraphQLArgument, topology: UpstreamTopology): unknown[] {
  const required = isNonNullType(argument.type);
  const type = getNullableType(argument.type);
  const optional = required ? [] : [undefined];
  if (isListType(type)) {
    const items = samplesOf({ ...argument, type: getNamedType(type) } as GraphQLArgument, topology).filter((v) => v !== undefined);
    return [...optional, [], ...items.map((item) => [item]), items];
  }
  const named: GraphQLNamedType = getNamedType(type);
  const deployment = topology.readable[0] ?? UNKNOWN_DEPLOYMENT;
  switch (named.name) {
    case 'Int':
      return [...optional, 1, 100];
    case 'Float':
      return [...optional, 1];
    case 'Boolean':
      return [...optional, true, false];
    case 'String':
      // The rules tell deployments apart only by whether the facade reads them itself.
      return [...optional, ...topology.readable.slice(0, 1), UNKNOWN_DEPLOYMENT];
    case 'ID':
      return [...optional, ...NODE_TYPES.map((type: NodeType) => (type === 'Deployment' ? encodeGlobalId(type, deployment) : encodeGlobalId(type, deployment, 'sample')))];
    case 'DateTime':
      return [...optional, new Date(0).toISOString()];
  }
  if (isEnumType(named)) return [...optional, ...named.getValues().map((v) => v.value)];
  if (isInputObjectType(named)) return [...optional, {}];
  return [...optional, 'sample'];
}

/** The most calls, by share key, that `field` or anything it can reach makes once per operation. */
function onceBelow(schema: GraphQLSchema, field: GraphQLField<unknown, unknown>, prices: ReadonlyMap<string, FieldPrice>): number {
  const seen = new Set<string>();
  const once = new Map<string, number>();
  const take = (coordinate: string) => {
    for (const [key, count] of prices.get(coordinate)?.once ?? []) once.set(key, Math.max(once.get(key) ?? 0, count));
  };
  const visitType = (type: GraphQLNamedType) => {
    if (seen.has(type.name)) return;
    seen.add(type.name);
    const objects = isInterfaceType(type) || isUnionType(type) ? schema.getPossibleTypes(type) : isObjectType(type) ? [type] : [];
    for (const object of objects) {
      visitType(object);
      for (const child of Object.values(object.getFields())) {
        take(`${object.name}.${child.name}`);
        visitType(getNamedType(child.type));
      }
    }
  };
  const parent = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].find((t) => t?.getFields()[field.name] === field);
  if (parent) take(`${parent.name}.${field.name}`);
  visitType(getNamedType(field.type));
  return [...once.values()].reduce((sum, n) => sum + n, 0);
}

/** Rendered SDLs by base SDL and weights: facades with the same upstreams (tests start many) print once. */
const rendered = new Map<string, Map<string, string>>();

/** `sdl` with the annotations applied, printed as `printSubgraphSchema` prints a subgraph. */
function render(sdl: string, annotations: Annotations): string {
  const signature = JSON.stringify([[...annotations.fieldWeights], [...annotations.listSizes], [...annotations.argumentWeights]]);
  let forSdl = rendered.get(sdl);
  if (forSdl === undefined) rendered.set(sdl, (forSdl = new Map()));
  const known = forSdl.get(signature);
  if (known !== undefined) return known;
  let typeName = '';
  let fieldCoordinate = '';
  const document = visit(parse(sdl), {
    ObjectTypeDefinition: {
      enter(node) {
        typeName = node.name.value;
        fieldCoordinate = '';
        return annotations.freeTypes.has(typeName) ? { ...node, directives: [...(node.directives ?? []), cost(0)] } : undefined;
      },
    },
    InterfaceTypeDefinition: {
      enter(node) {
        typeName = node.name.value;
      },
    },
    InputObjectTypeDefinition: {
      enter(node) {
        typeName = node.name.value;
        fieldCoordinate = '';
      },
    },
    FieldDefinition: {
      enter(node) {
        fieldCoordinate = `${typeName}.${node.name.value}`;
      },
      leave(node) {
        const weight = annotations.fieldWeights.get(fieldCoordinate);
        const size = annotations.listSizes.get(fieldCoordinate);
        const added = [...(weight === undefined ? [] : [cost(weight)]), ...(size === undefined ? [] : [listSize(size)])];
        return added.length === 0 ? undefined : { ...node, directives: [...(node.directives ?? []), ...added] };
      },
    },
    InputValueDefinition: {
      leave(node) {
        const weight =
          fieldCoordinate === ''
            ? annotations.freeInputFields.has(`${typeName}.${node.name.value}`)
              ? 0
              : undefined
            : annotations.argumentWeights.get(`${fieldCoordinate}(${node.name.value})`);
        return weight === undefined ? undefined : { ...node, directives: [...(node.directives ?? []), cost(weight)] };
      },
    },
  });
  const sdlWithCost = printSubgraphSchema(buildSubgraphSchema({ typeDefs: document }));
  forSdl.set(signature, sdlWithCost);
  return sdlWithCost;
}

function cost(weight: number): ConstDirectiveNode {
  return directive('cost', [argument('weight', { kind: Kind.INT, value: String(weight) })]);
}

function listSize({ assumedSize, slicingArguments, sizedFields }: ListSize): ConstDirectiveNode {
  const strings = (values: readonly string[]): ConstValueNode => ({ kind: Kind.LIST, values: values.map((value) => ({ kind: Kind.STRING, value })) });
  return directive('listSize', [
    argument('assumedSize', { kind: Kind.INT, value: String(assumedSize) }),
    ...(slicingArguments === undefined ? [] : [argument('slicingArguments', strings(slicingArguments))]),
    ...(sizedFields === undefined ? [] : [argument('sizedFields', strings(sizedFields))]),
    // `first` or `last` or neither (the page size default): never exactly one required.
    ...(slicingArguments === undefined ? [] : [argument('requireOneSlicingArgument', { kind: Kind.BOOLEAN, value: false })]),
  ]);
}

function directive(name: string, args: ConstArgumentNode[]): ConstDirectiveNode {
  return { kind: Kind.DIRECTIVE, name: { kind: Kind.NAME, value: name }, arguments: args };
}

function argument(name: string, value: ConstValueNode): ConstArgumentNode {
  return { kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: name }, value };
}
