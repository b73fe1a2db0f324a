/**
 * Per-client rate limits: graphql-rate-limit-directive's `@rateLimit(limit, duration)`
 * on root fields, counted for each API key.
 *
 * Contract:
 * - `RATE_LIMIT_TYPE_DEFS` is the directive's definition, for the schema's typeDefs;
 *   `rateLimitSdl(kind)` is the `@rateLimit(limit: …, duration: …)` a resolver method
 *   carries (type-graphql's `@Directive`), with its class's default: the SDL shows
 *   every client the defaults.
 * - `protectSchema(schema, { limits, store })` answers a new schema and leaves the one
 *   given as it is: the schema is built once per process, and each facade in it binds
 *   its own store. In the new schema every root field with `@rateLimit` counts its
 *   calls per API key (`context.apiKey.id`) and field coordinate, in `store`, with the
 *   configured limit of its class (`limits`; a class that is off counts nothing). A
 *   query or mutation field counts each time it resolves (an alias is one more call);
 *   a subscription field counts once per subscribe, never per event. Past the limit
 *   the field's resolver does not run and the field fails with RATE_LIMITED, a message
 *   naming the field, the limit and when to retry, and `extensions.retryAfterSeconds`
 *   (whole seconds, rounded up, at least 1).
 * - A field's class is known by the numbers its SDL carries: they are its class's
 *   default, and no two classes share one (checked when this module loads). So the
 *   resolver says the class once, and the SDL stays as printed whatever is configured.
 * - Refused, naming the fix, when the schema is protected: `@rateLimit` on a type or
 *   on a field that is not a root field (inside a list it would count once per item,
 *   so one page of 100 alarms would spend 100 calls), and numbers that are no class's
 *   default (configuration could not reach them).
 * - An answer the response cache serves (the same read on one replica within
 *   `CACHE_PAGE_TTL_MS`) runs no resolver, so it counts nothing: it costs neither
 *   execution nor an upstream call.
 *
 * Which fields: every mutation (label writes, key management and upstream credential
 * rotation), where a count per field is the right measure: each call changes something,
 * whatever it costs upstream. No read or subscribe: what those cost is upstream calls,
 * and the key's budget in points (`key.budget.ts`, charged once per operation by the
 * gate) counts those, so pages the cache answers cost next to nothing, where a count
 * per field refused a frontend's backend after 10 distinct reads a second while USM's
 * quota sat idle. A subscribe is charged by the same budget (its replay, estimated per
 * poll); the subscriptions a key holds at once are LIVE_MAX_SUBSCRIPTIONS_PER_KEY's
 * business. Nor the key's own and local reads (`viewer`, `apiKeys`, `auditEvents`,
 * `upstreamCredentials`, `apiKeyRotated`).
 */
import { getNamedType, Kind, type ConstArgumentNode, type ConstDirectiveNode, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import { getDirective, mapSchema, MapperKind } from '@graphql-tools/utils';
import { rateLimitDirective, type RateLimitArgs } from 'graphql-rate-limit-directive';
import type { RateLimiterRes } from 'rate-limiter-flexible';
import { RATE_LIMIT_DEFAULTS, type RateLimit, type RateLimitClass, type RateLimitsConfig } from './protection.settings.js';
import { FacadeError } from '../errors/facade.error.js';
import type { RateLimiterStore } from './rate-limit.store.js';

const DIRECTIVE = 'rateLimit';

/** The directive's definition (`directive @rateLimit(limit: Int! = 60, duration: Int! = 60) on OBJECT | FIELD_DEFINITION`). */
export const RATE_LIMIT_TYPE_DEFS: string = rateLimitDirective({ name: DIRECTIVE }).rateLimitDirectiveTypeDefs;

const CLASSES = Object.keys(RATE_LIMIT_DEFAULTS) as RateLimitClass[];
const numbersOf = ({ limit, duration }: RateLimit) => `${limit}/${duration}`;

const CLASS_BY_NUMBERS = new Map<string, RateLimitClass>();
for (const kind of CLASSES) {
  const numbers = numbersOf(RATE_LIMIT_DEFAULTS[kind]);
  const taken = CLASS_BY_NUMBERS.get(numbers);
  if (taken !== undefined) {
    throw new Error(`RATE_LIMIT_DEFAULTS: ${taken} and ${kind} both default to ${numbers}; give each class defaults of its own, the SDL tells classes apart by them`);
  }
  CLASS_BY_NUMBERS.set(numbers, kind);
}

/** The `@rateLimit` a root field of `kind` carries, for `@Directive(rateLimitSdl(kind))`. */
export function rateLimitSdl(kind: RateLimitClass): string {
  const { limit, duration } = RATE_LIMIT_DEFAULTS[kind];
  return `@${DIRECTIVE}(limit: ${limit}, duration: ${duration})`;
}

/** What the limits need of a resolver's context (`GraphContext` has it). */
interface KeyedContext {
  apiKey?: { id: string };
}

export interface ProtectSchemaOptions {
  /** Each class's limit, `null` for off (`Config.rateLimits`). */
  limits: RateLimitsConfig;
  /** Where calls are counted (the backplane's `rateLimiterStore`). */
  store: RateLimiterStore;
}

export function protectSchema(schema: GraphQLSchema, options: ProtectSchemaOptions): GraphQLSchema {
  const { rateLimitDirectiveTransformer } = rateLimitDirective<KeyedContext>({
    name: DIRECTIVE,
    keyGenerator: (_args, _source, _fieldArgs, context, info) => {
      const keyId = context.apiKey?.id;
      if (keyId === undefined) throw new Error(`@rateLimit on ${info.parentType.name}.${info.fieldName} needs the API key in context.apiKey`);
      return `${keyId}:${info.parentType.name}.${info.fieldName}`;
    },
    onLimit: refuse,
    limiterClass: options.store.limiterClass,
    limiterOptions: options.store.limiterOptions,
  });
  const rootTypes = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].map((type) => type?.name));
  const subscription = schema.getSubscriptionType()?.name;

  // 1. Each field's numbers become its class's configured limit (or go, when off). The
  //    directive wraps `resolve`, which for a subscription runs once per event: there
  //    its `subscribe` stands in for `resolve` while the directive wraps it.
  const configured = mapSchema(schema, {
    [MapperKind.OBJECT_TYPE]: (type) => {
      if (getDirective(schema, type, DIRECTIVE) !== undefined) {
        throw new Error(`@rateLimit on the type ${type.name}: put it on root fields of Query, Mutation or Subscription instead, one by one`);
      }
      return type;
    },
    [MapperKind.OBJECT_FIELD]: (field, fieldName, typeName) => {
      const applied = getDirective(schema, field, DIRECTIVE)?.[0] as RateLimitArgs | undefined;
      if (applied === undefined) return field;
      const coordinate = `${typeName}.${fieldName}`;
      if (!rootTypes.has(typeName)) {
        throw new Error(
          `@rateLimit on ${coordinate}, which is not a root field: under a list (${getNamedType(field.type).name} items of a page) it would count once per item; limit the root field that reaches it`,
        );
      }
      const kind = CLASS_BY_NUMBERS.get(numbersOf(applied));
      if (kind === undefined) {
        throw new Error(
          `@rateLimit(limit: ${applied.limit}, duration: ${applied.duration}) on ${coordinate} is no class's default, so no configuration reaches it: write it as @Directive(rateLimitSdl(<class>)), one of ${CLASSES.join(', ')}`,
        );
      }
      const limit = options.limits[kind];
      const astNode = field.astNode && {
        ...field.astNode,
        directives: (field.astNode.directives ?? []).flatMap((directive) =>
          directive.name.value !== DIRECTIVE ? [directive] : limit === null ? [] : [withNumbers(directive, limit)],
        ),
      };
      const withLimit = { ...field, astNode };
      return typeName === subscription && limit !== null ? { ...withLimit, resolve: field.subscribe } : withLimit;
    },
  });

  // 2. The directive wraps each limited field; 3. a subscription's wrapped stand-in goes
  //    back to being its `subscribe`, and its events resolve as they did.
  const limited = rateLimitDirectiveTransformer(configured);
  const eventResolvers = schema.getSubscriptionType()?.getFields() ?? {};
  return mapSchema(limited, {
    [MapperKind.SUBSCRIPTION_ROOT_FIELD]: (field, fieldName) =>
      getDirective(limited, field, DIRECTIVE) === undefined ? field : { ...field, subscribe: field.resolve, resolve: eventResolvers[fieldName]!.resolve },
  });
}

/** `@rateLimit` with `limit` and `duration` as configured. */
function withNumbers(directive: ConstDirectiveNode, { limit, duration }: RateLimit): ConstDirectiveNode {
  const int = (name: string, value: number): ConstArgumentNode => ({
    kind: Kind.ARGUMENT,
    name: { kind: Kind.NAME, value: name },
    value: { kind: Kind.INT, value: String(value) },
  });
  return { ...directive, arguments: [int('limit', limit), int('duration', duration)] };
}

function refuse(response: RateLimiterRes, args: RateLimitArgs, _source: unknown, _fieldArgs: unknown, _context: unknown, info: GraphQLResolveInfo): never {
  const retryAfterSeconds = Math.max(1, Math.ceil(response.msBeforeNext / 1000));
  throw new FacadeError(
    'RATE_LIMITED',
    `${info.parentType.name}.${info.fieldName} allows ${args.limit} calls per ${args.duration} s for each API key, and this key has made them: retry in ${retryAfterSeconds} s`,
    { details: { retryAfterSeconds } },
  );
}
