/**
 * Field resolvers bound straight to their methods, without type-graphql's per-call
 * wrapper.
 *
 * Contract: `bindFieldResolvers()` answers, by object type and field, a resolver
 * `(root, args, context, info)` for every `@FieldResolver` (and every resolving method
 * of an object type) that type-graphql knows of and that takes only `@Root()`,
 * `@Ctx()`, `@Info()`, `@Args()` of an args class whose fields are scalars or enums,
 * and `@Arg()` of a scalar or enum, and has no middleware and no `@Authorized`. It
 * calls the method with the values type-graphql would pass: the root as is when it is
 * already an instance of its class (else copied into one), the args as a new instance
 * of their class holding the fields given; a method of the object type itself runs on
 * the root made such an instance. Other fields are left out; they keep
 * type-graphql's resolver. The facade configures no global type-graphql middleware;
 * adding one means dropping this binder.
 *
 * Why: type-graphql's wrapper sorts the parameter list, converts every argument and
 * walks the middleware chain on every call, about 9 µs; an alarm page calls `events`
 * and `deployment` once per alarm, 100 calls a page.
 */
import { getMetadataStorage } from 'type-graphql';
import type { GraphQLResolveInfo } from 'graphql';

type FieldResolverMetadata = ReturnType<typeof getMetadataStorage>['fieldResolvers'][number];
type ParamMetadata = NonNullable<FieldResolverMetadata['params']>[number];
type Resolver = (root: unknown, args: Record<string, unknown>, context: unknown, info: GraphQLResolveInfo) => unknown;
type ParamReader = (root: unknown, args: Record<string, unknown>, context: unknown, info: GraphQLResolveInfo) => unknown;
type Constructor = new () => object;

/** Resolvers by object type name, then field name. */
export function bindFieldResolvers(): Record<string, Record<string, Resolver>> {
  const storage = getMetadataStorage();
  const inputClasses = new Set<unknown>(storage.inputTypes.map((type) => type.target));
  const isPlainValue = (type: unknown) => !inputClasses.has(type);
  const instances = new Map<Function, Record<string, (...params: unknown[]) => unknown>>();
  const bound: Record<string, Record<string, Resolver>> = {};

  for (const field of storage.fieldResolvers) {
    const objectType = field.getObjectType?.();
    if (objectType === undefined || (field.middlewares?.length ?? 0) > 0 || field.roles !== undefined) continue;
    const readers = (field.params ?? [])
      .slice()
      .sort((a, b) => a.index - b.index)
      .map((param) => readerFor(param, storage.argumentTypes, isPlainValue));
    if (readers.some((reader) => reader === undefined)) continue;
    const read = readers as ParamReader[];
    const method = field.methodName;
    let resolve: Resolver;
    if (field.kind === 'internal') {
      // A method of the object type itself, called on the root made an instance of it, as type-graphql does.
      const ObjectClass = objectType as Constructor;
      const own = ObjectClass.prototype as Record<string, (...params: unknown[]) => unknown>;
      resolve = (root, args, context, info) => {
        const self = root instanceof ObjectClass ? root : Object.assign(new ObjectClass(), root);
        return own[method]!.apply(self, read.map((r) => r(root, args, context, info)));
      };
    } else {
      let instance = instances.get(field.target);
      if (instance === undefined) {
        instance = new (field.target as Constructor)() as Record<string, (...params: unknown[]) => unknown>;
        instances.set(field.target, instance);
      }
      const target = instance;
      resolve = (root, args, context, info) => target[method]!(...read.map((r) => r(root, args, context, info)));
    }
    const typeName = storage.objectTypes.find((type) => type.target === objectType)?.name ?? objectType.name;
    (bound[typeName] ??= {})[field.schemaName] = resolve;
  }
  return bound;
}

/** How to read one parameter, or undefined when only type-graphql's wrapper can. */
function readerFor(
  param: ParamMetadata,
  argumentTypes: ReturnType<typeof getMetadataStorage>['argumentTypes'],
  isPlainValue: (type: unknown) => boolean,
): ParamReader | undefined {
  switch (param.kind) {
    case 'root': {
      if (param.propertyName !== undefined) return undefined;
      const type = param.getType?.();
      if (typeof type !== 'function') return (root) => root;
      const RootClass = type as Constructor;
      return (root) => (root == null || root instanceof RootClass ? root : Object.assign(new RootClass(), root));
    }
    case 'context':
      return param.propertyName === undefined ? (_root, _args, context) => context : undefined;
    case 'info':
      return (_root, _args, _context, info) => info;
    case 'arg': {
      const name = param.name;
      return isPlainValue(param.getType()) ? (_root, args) => args[name] : undefined;
    }
    case 'args': {
      const ArgsClass = param.getType() as Constructor;
      const argsType = argumentTypes.find((type) => type.target === ArgsClass);
      // Inherited args classes and input-object fields need type-graphql's own conversion.
      if (argsType === undefined || Object.getPrototypeOf(ArgsClass) !== Function.prototype) return undefined;
      const fields = (argsType.fields ?? []).map((f) => ({ name: f.name, type: f.getType() }));
      if (!fields.every((f) => isPlainValue(f.type))) return undefined;
      const names = fields.map((f) => f.name);
      return (_root, args) => {
        const instance = new ArgsClass() as Record<string, unknown>;
        for (const name of names) if (args[name] !== undefined) instance[name] = args[name];
        return instance;
      };
    }
    default:
      return undefined;
  }
}
