/**
 * What one operation may be and cost, how often a key may call each class of root
 * field, and which documents are trusted. Declared once here; `config.ts` reads them
 * into `Config.queryLimits`, `Config.rateLimits` and `Config.trustedDocumentsFile`.
 * Under `NODE_ENV=production` refusals do not say the exact limit.
 */
import path from 'node:path';
import { z } from 'zod';
import { PACKAGE_ROOT } from '../config/package.root.js';
import { defaultsOf, setting, text, wholeNumber, type ValuesOf } from '../config/setting.js';

/** Limits on the shape and the upstream cost of one operation, checked before anything executes. */
export const QUERY_LIMIT_SETTINGS = {
  maxDepth: setting({
    env: 'MAX_QUERY_DEPTH',
    default: '8',
    schema: wholeNumber(2, 100),
    doc:
      "Field levels, the leaf included (graphql-armor's default is 6): the deepest legitimate path in this schema is a " +
      'deployment\'s alarms with their events, `deployment { alarms { edges { node { events { edges { node { name } } } } } } } }`, ' +
      '8 field levels. Fragments, inline ones too (`_entities`, `node`), add no level.',
  }),
  maxAliases: setting({
    env: 'MAX_QUERY_ALIASES',
    default: '15',
    schema: wholeNumber(0, 10_000),
    doc: "Aliased fields in one operation (graphql-armor's default).",
  }),
  maxDirectives: setting({
    env: 'MAX_QUERY_DIRECTIVES',
    default: '50',
    schema: wholeNumber(0, 10_000),
    doc: "Directives in one operation (graphql-armor's default).",
  }),
  maxTokens: setting({
    env: 'MAX_QUERY_TOKENS',
    default: '1000',
    schema: wholeNumber(50, 1_000_000),
    doc: "Lexical tokens in one document; parsing stops past it (graphql-armor's default).",
  }),
  maxOperationCost: setting({
    env: 'MAX_OPERATION_COST',
    default: '100',
    schema: wholeNumber(1, 100_000),
    doc:
      'Upstream calls one operation may be predicted to make (for a subscription: per poll); past it COST_LIMIT_EXCEEDED. ' +
      '100 calls is one second of the whole GET quota.',
  }),
  maxResultNodes: setting({
    env: 'MAX_RESULT_NODES',
    default: '20000',
    schema: wholeNumber(1, 10_000_000),
    doc:
      'Objects one operation can answer (alarms, edges, deployments, events, …), counted before it runs from `first`/`last` ' +
      'along every list and alias (a subscription: per payload); past it RESULT_TOO_LARGE, nothing sent. 20,000 admits a page ' +
      'of 100 alarms with their deployment, endpoints and 20 events each (6,401) and one of 50 with all 100 events of each ' +
      '(16,251), counted at their worst; it refuses 100 items that each carry a connection of 100 with its nodes (20,201 and ' +
      'more), and so the 15 aliases of `alarms(first: 100) { … deployment { alarms(first: 100) … } }` (306,015 objects, 32 MB).',
  }),
};

export type QueryLimitsConfig = ValuesOf<typeof QUERY_LIMIT_SETTINGS>;

export const QUERY_LIMITS_DEFAULTS: Readonly<QueryLimitsConfig> = defaultsOf(QUERY_LIMIT_SETTINGS);

/** One `@rateLimit`: `limit` calls of a field in each window of `duration` seconds, for each API key. */
export interface RateLimit {
  limit: number;
  /** Seconds: the fixed window after the first call in which `limit` calls are allowed. */
  duration: number;
}

const RATE_LIMIT_RULE =
  'must be <limit>/<seconds>, a limit of 1–1000000 calls per 1–86400 seconds (e.g. 600/60 for 600 a minute), or 0 for no limit';

/** `<limit>/<seconds>` as a `RateLimit`, `0` as null (off). */
const rateLimit = () =>
  z.string().transform((value, ctx): RateLimit | null => {
    if (value.trim() === '0') return null;
    const match = /^(\d{1,7})\/(\d{1,5})$/.exec(value.trim());
    const limit = Number(match?.[1]);
    const duration = Number(match?.[2]);
    if (match === null || limit < 1 || limit > 1_000_000 || duration < 1 || duration > 86_400) {
      ctx.addIssue({ code: 'custom', message: RATE_LIMIT_RULE });
      return z.NEVER;
    }
    return { limit, duration };
  });

/**
 * Per-client rate limits (`@rateLimit`, see `rate-limit.directive.ts`), by class of root
 * field: writes, key management and credentials, where a count per field is the right
 * measure. Reads and subscribes draw on the key's budget instead (`KEY_BUDGET_SETTINGS`). Each field counts on its own for each API key, on every replica together with
 * `REDIS_URL`. `0` turns a class off (null). The SDL shows the defaults, and no two
 * classes share one: the SDL's numbers are how a field's class is known at run time.
 */
export const RATE_LIMIT_SETTINGS = {
  labelWrites: setting({
    env: 'RATE_LIMIT_LABEL_WRITES',
    default: '120/60',
    schema: rateLimit(),
    doc: '`addAlarmLabel`, `removeAlarmLabel`.',
  }),
  keyManagement: setting({
    env: 'RATE_LIMIT_KEY_MANAGEMENT',
    default: '30/60',
    schema: rateLimit(),
    doc: '`createApiKey`, `rotateApiKey`, `resetApiKey`, `revokeApiKey`, `deleteApiKey`, `setApiKeyRotation`, `setApiKeyBudget`.',
  }),
  credentials: setting({
    env: 'RATE_LIMIT_CREDENTIALS',
    default: '5/300',
    schema: rateLimit(),
    doc: '`rotateUpstreamCredentials`.',
  }),
};

export type RateLimitsConfig = ValuesOf<typeof RATE_LIMIT_SETTINGS>;

/** The classes of rate-limited fields. */
export type RateLimitClass = keyof RateLimitsConfig;

/** The defaults, which the SDL shows: each a limit, never off. */
export const RATE_LIMIT_DEFAULTS: Readonly<Record<RateLimitClass, Readonly<RateLimit>>> = Object.freeze(
  Object.fromEntries(
    Object.entries(defaultsOf(RATE_LIMIT_SETTINGS)).map(([kind, limit]) => {
      if (limit === null) throw new Error(`${RATE_LIMIT_SETTINGS[kind as RateLimitClass].env}: its default must be a limit, not 0: the SDL shows it`);
      return [kind, Object.freeze(limit)];
    }),
  ) as Record<RateLimitClass, RateLimit>,
);

/** Points as a decimal in [0, max], at most three places (`0.1`). */
const points = (max: number) => {
  const rule = `must be a number of points from 0 to ${max}, e.g. 0.1`;
  return z.string().trim().regex(/^\d{1,7}(\.\d{1,3})?$/, rule).pipe(z.coerce.number<string>().max(max, rule));
};

/**
 * Each API key's budget in points (`key.budget.ts`, whose contract explains the
 * figures): a bucket of `maximum` points restoring `restoreRate` a second, shared by
 * every replica with `REDIS_URL`. An operation costs its upstream calls + the base.
 * A key's own budget (`createApiKey`, `setApiKeyBudget`) replaces the first two.
 */
export const KEY_BUDGET_SETTINGS = {
  maximum: setting({
    env: 'KEY_BUDGET_MAXIMUM',
    default: '300',
    schema: wholeNumber(0, 1_000_000),
    doc:
      'Points an API key can spend at once (a full bucket); past what it holds, RATE_LIMITED (429) with Retry-After. ' +
      '0: no budget for keys without their own. 300 lets a cold dashboard wall load at once and holds three operations at MAX_OPERATION_COST.',
  }),
  restoreRate: setting({
    env: 'KEY_BUDGET_RESTORE_RATE',
    default: '30',
    schema: wholeNumber(1, 100_000),
    doc: "Points a key's bucket restores a second: with the default, one key draws at most about 30 upstream calls a second, a third of USM's 100 GET/s.",
  }),
  basePoints: setting({
    env: 'KEY_BUDGET_BASE_POINTS',
    default: '0.1',
    schema: points(100),
    doc: 'Points every operation costs besides its upstream calls, so a flood of cached reads still costs something: 100 cached reads a second cost 10.',
  }),
};

export type KeyBudgetConfig = ValuesOf<typeof KEY_BUDGET_SETTINGS>;

export const TRUSTED_DOCUMENT_SETTINGS = {
  trustedDocumentsFile: setting({
    env: 'TRUSTED_DOCUMENTS_FILE',
    default: path.join(PACKAGE_ROOT, 'client', 'generated', 'persisted-documents.json'),
    schema: text('must be the path of a persisted-documents JSON file'),
    doc:
      "The manifest `npm run codegen` writes (default: this checkout's; a relative path is from the working directory). " +
      'Its documents are served by hash (automatic persisted queries), and they are the only ones a key created with ' +
      '`trustedDocumentsOnly` may run.',
  }),
};
