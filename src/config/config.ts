/**
 * The facade's configuration: the only module that reads `process.env`.
 *
 * Contract: `loadConfig(env)` returns a typed, validated `Config` or throws one
 * `ConfigError` that lists every problem, each naming the variable and what is
 * allowed. Secrets are never echoed in a message. With no upstream configured the
 * facade runs against the embedded USM simulator (`upstream.mode === 'embedded'`).
 *
 * Upstreams come from `USM_CONFIG` (a JSON or YAML file listing Central and any number
 * of Anywhere deployments, read by `deployments.file.ts`) and/or the single-deployment
 * variables `USM_ANYWHERE_*` and `USM_CENTRAL_*`; both may be combined as long as no
 * name is used twice and Central is given once.
 */
import path from 'node:path';
import { z } from 'zod';
import { readDeploymentsFile } from './deployments.file.js';
import { PACKAGE_ROOT } from './package.root.js';
import {
  baseUrlProblem,
  DEPLOYMENT_NAME,
  deploymentNameOf,
  normaliseBaseUrl,
  type UpstreamTarget,
} from './upstream.target.js';
import { parseSecretKey, SecretKey } from './secret.key.js';

export { deploymentNameOf, SecretKey, type UpstreamTarget };

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export type UpstreamConfig =
  | {
      mode: 'embedded';
      /** Port of the in-process simulator; default 0 (ephemeral). */
      simulatorPort: number;
    }
  | {
      mode: 'configured';
      central: UpstreamTarget | undefined;
      deployments: UpstreamTarget[];
    };

/**
 * How the facade treats its upstreams: timeouts, retries, the circuit breaker and the
 * rate budget. Each field names its variable and its default.
 */
export interface UpstreamTuning {
  /** `UPSTREAM_CONNECT_TIMEOUT_MS`, default 5000: time to open a TCP/TLS connection. */
  connectTimeoutMs: number;
  /** `UPSTREAM_REQUEST_TIMEOUT_MS`, default 15000: from sending one attempt to its whole response body. */
  requestTimeoutMs: number;
  /**
   * `UPSTREAM_RETRY_MAX_ATTEMPTS`, default 5: attempts per idempotent request, the first
   * included (1 turns retries off). Five attempts make a call fail at a 30% upstream
   * error rate about once in 400.
   */
  retryMaxAttempts: number;
  /** `UPSTREAM_RETRY_BASE_DELAY_MS`, default 100: first ceiling of the full-jitter exponential backoff. */
  retryBaseDelayMs: number;
  /** `UPSTREAM_RETRY_MAX_DELAY_MS`, default 5000: largest backoff between two attempts. */
  retryMaxDelayMs: number;
  /** `UPSTREAM_BREAKER_THRESHOLD`, default 5: consecutive failed requests that open an upstream's breaker. */
  breakerThreshold: number;
  /** `UPSTREAM_BREAKER_HALF_OPEN_AFTER_MS`, default 10000: how long an open breaker refuses before one probe. */
  breakerHalfOpenAfterMs: number;
  /** `UPSTREAM_BUDGET_SHARE`, default 0.95: the share of USM's 100 GET / 50 POST per second the facade uses. */
  budgetShare: number;
  /**
   * `UPSTREAM_BUDGET_WINDOW_MARGIN_MS`, default 10: added to USM's 1000 ms window for
   * clocks that tick at slightly different rates and millisecond rounding (latency is
   * covered otherwise: a request holds its slot until one window after its answer).
   */
  budgetWindowMarginMs: number;
  /**
   * `UPSTREAM_QUEUE_MAX_WAIT_MS`, default 10000: a caller whose expected wait for the
   * budget is longer gets `UPSTREAM_RATE_LIMITED` at once.
   */
  queueMaxWaitMs: number;
  /**
   * `UPSTREAM_LIVE_MAX_WAIT_MS`, default 2000: the longest a subscription poll (work
   * class `LIVE`) waits for the budget; one that would wait longer is told at once and
   * skips its round.
   */
  liveMaxWaitMs: number;
  /** `UPSTREAM_BACKGROUND_MAX_WAIT_MS`, default 5000: the same for `BACKGROUND` work (prefetch, schedulers). */
  backgroundMaxWaitMs: number;
  /**
   * `UPSTREAM_PARSED_DOCUMENTS`, default 1000: documents of list pages kept parsed per
   * upstream, by their exact bytes, so one that comes back unchanged (a polled page) is
   * not parsed and read again; 0 turns this off.
   */
  parsedDocuments: number;
}

export const UPSTREAM_TUNING_DEFAULTS: Readonly<UpstreamTuning> = Object.freeze({
  connectTimeoutMs: 5_000,
  requestTimeoutMs: 15_000,
  retryMaxAttempts: 5,
  retryBaseDelayMs: 100,
  retryMaxDelayMs: 5_000,
  breakerThreshold: 5,
  breakerHalfOpenAfterMs: 10_000,
  budgetShare: 0.95,
  budgetWindowMarginMs: 10,
  queueMaxWaitMs: 10_000,
  liveMaxWaitMs: 2_000,
  backgroundMaxWaitMs: 5_000,
  parsedDocuments: 1_000,
});

/** How long cached upstream answers are kept, in ms; 0 disables caching of that kind. */
export interface CacheTtls {
  /** `CACHE_ALARM_TTL_MS`, default 30 s: labels and status change upstream. */
  alarm: number;
  /** `CACHE_EVENT_TTL_MS`, default 5 min: events do not change. */
  event: number;
  /** `CACHE_PAGE_TTL_MS`, default 2 s, per replica: absorbs dashboards that poll the same page together. */
  page: number;
  /** `CACHE_DEPLOYMENTS_TTL_MS`, default 60 s. */
  deployments: number;
}

export const CACHE_TTL_DEFAULTS: Readonly<CacheTtls> = Object.freeze({
  alarm: 30_000,
  event: 300_000,
  page: 2_000,
  deployments: 60_000,
});

/** One `@rateLimit`: `limit` calls of a field in each window of `duration` seconds, for each API key. */
export interface RateLimit {
  limit: number;
  /** Seconds: the fixed window after the first call in which `limit` calls are allowed. */
  duration: number;
}

/**
 * Per-client rate limits (`@rateLimit`, see `src/protection/rate-limit.directive.ts`), by
 * class of root field. Each field counts on its own for each API key (its id), on every
 * replica together with `REDIS_URL`. Each variable is `<limit>/<seconds>`, or `0` to turn
 * the class off (`null` here). The SDL (`schema/schema.graphql`) shows the defaults.
 */
export interface RateLimitsConfig {
  /**
   * `RATE_LIMIT_READS`, default `600/60`: `Query.alarms`, `Query.events`, `Query.nodes`,
   * and subscribing to `alarmPage` and `alarmCreated` (a subscribe counts once).
   */
  reads: RateLimit | null;
  /** `RATE_LIMIT_LABEL_WRITES`, default `120/60`: `addAlarmLabel`, `removeAlarmLabel`. */
  labelWrites: RateLimit | null;
  /**
   * `RATE_LIMIT_KEY_MANAGEMENT`, default `30/60`: `createApiKey`, `rotateApiKey`,
   * `resetApiKey`, `revokeApiKey`, `deleteApiKey`, `setApiKeyRotation`.
   */
  keyManagement: RateLimit | null;
  /** `RATE_LIMIT_CREDENTIALS`, default `5/300`: `rotateUpstreamCredentials`. */
  credentials: RateLimit | null;
}

/** The classes of rate-limited fields. */
export type RateLimitClass = keyof RateLimitsConfig;

/**
 * The defaults, which the SDL shows. No two classes share one: the SDL's numbers are
 * how a field's class is known at run time (`rate-limit.directive.ts` checks this).
 */
export const RATE_LIMIT_DEFAULTS: Readonly<Record<RateLimitClass, Readonly<RateLimit>>> = Object.freeze({
  reads: Object.freeze({ limit: 600, duration: 60 }),
  labelWrites: Object.freeze({ limit: 120, duration: 60 }),
  keyManagement: Object.freeze({ limit: 30, duration: 60 }),
  credentials: Object.freeze({ limit: 5, duration: 300 }),
});

/** Live subscriptions: how often their groups poll, and how many a client may hold. */
export interface LiveConfig {
  /** `LIVE_POLL_INTERVAL_MS`, default 5000: each live group (subscribers with the same arguments) polls once per interval, plus up to 10% jitter. */
  pollIntervalMs: number;
  /** `LIVE_MAX_SUBSCRIPTIONS_PER_KEY`, default 100: open subscriptions of one API key, every replica together. */
  maxSubscriptionsPerKey: number;
  /** `LIVE_MAX_GROUPS`, default 1000: distinct live queries one replica polls or follows. */
  maxGroups: number;
}

export const LIVE_CONFIG_DEFAULTS: Readonly<LiveConfig> = Object.freeze({
  pollIntervalMs: 5_000,
  maxSubscriptionsPerKey: 100,
  maxGroups: 1_000,
});

/**
 * Limits on the shape and the upstream cost of one operation, checked before anything
 * executes (see `src/protection/`). Under `NODE_ENV=production` refusals do not say the
 * exact limit.
 */
export interface QueryLimitsConfig {
  /**
   * `MAX_QUERY_DEPTH`, default 8 (graphql-armor's is 6): the deepest legitimate path in this
   * schema is a deployment's alarms with their events, `deployment { alarms { edges { node
   * { events { edges { node { name } } } } } } } }`, 8 field levels. Fragments, inline
   * ones too (`_entities`, `node`), add no level.
   */
  maxDepth: number;
  /** `MAX_QUERY_ALIASES`, default 15 (graphql-armor's): aliased fields in one operation. */
  maxAliases: number;
  /** `MAX_QUERY_DIRECTIVES`, default 50 (graphql-armor's): directives in one operation. */
  maxDirectives: number;
  /** `MAX_QUERY_TOKENS`, default 1000 (graphql-armor's): lexical tokens in one document; parsing stops past it. */
  maxTokens: number;
  /**
   * `MAX_OPERATION_COST`, default 100: upstream calls one operation may be predicted to
   * make (for a subscription: per poll). 100 calls is one second of the whole GET quota.
   */
  maxOperationCost: number;
}

export const QUERY_LIMITS_DEFAULTS: Readonly<QueryLimitsConfig> = Object.freeze({
  maxDepth: 8,
  maxAliases: 15,
  maxDirectives: 50,
  maxTokens: 1_000,
  maxOperationCost: 100,
});

/**
 * Traces (OpenTelemetry, see `src/observability/tracing.ts`), off by default. The
 * variables read here decide whether and where spans go; the SDK reads the rest of the
 * standard ones itself: `OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT`, `_HEADERS`, `_TIMEOUT`,
 * `_COMPRESSION`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER[_ARG]`, `OTEL_BSP_*`.
 */
export interface TracingConfig {
  /**
   * On when `OTEL_TRACES_EXPORTER` names `otlp` or `console`, or, with it unset, when
   * `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set.
   * `OTEL_TRACES_EXPORTER=none` or `OTEL_SDK_DISABLED=true` keep it off.
   */
  enabled: boolean;
  /** `OTEL_TRACES_EXPORTER`, a comma-separated list of `otlp`, `console`; default `otlp` once an endpoint is set. */
  exporters: Array<'otlp' | 'console'>;
  /** `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL`, default `http/protobuf`; or `http/json`. */
  protocol: 'http/protobuf' | 'http/json';
  /** `OTEL_SERVICE_NAME`, default `usm-graphql-facade`. */
  serviceName: string;
}

export interface Config {
  /** `PORT`, default 4000. */
  port: number;
  /** `HOST`, default `0.0.0.0`. */
  host: string;
  /**
   * `METRICS_PORT`, default 9464 (the OpenTelemetry Prometheus exporter's): `/metrics` on a
   * listener of its own on `HOST`; `0` turns it off.
   */
  metricsPort: number;
  /** `LOG_LEVEL`, default `info` (`silent` under `NODE_ENV=test`). */
  logLevel: LogLevel;
  /**
   * `LOG_PRETTY` (`true` or `false`): readable lines (pino-pretty) instead of JSON. Default
   * true under `NODE_ENV=development` when standard output is a terminal, else false (JSON
   * for log collectors, and in containers, which have no terminal).
   */
  logPretty: boolean;
  /** Traces over OTLP, off by default (see `TracingConfig`). */
  tracing: TracingConfig;
  /** `NODE_ENV`, default `development`. */
  nodeEnv: 'development' | 'production' | 'test';
  /** `REDIS_URL`: when set, tokens, quota windows and caches are shared through Redis. */
  redisUrl: string | undefined;
  /**
   * `REDIS_PREFIX`, default `usm-facade:`: begins every Redis key and channel the facade
   * uses. Replicas of one facade share it; facades that must not see each other's keys,
   * tokens and caches on one Redis use different ones.
   */
  redisPrefix: string;
  upstream: UpstreamConfig;
  /** Timeouts, retries, breaker and rate budget for every upstream (see `UpstreamTuning`). */
  upstreamTuning: UpstreamTuning;
  /**
   * `REQUEST_DEADLINE_MS`, default 20000: how long one GraphQL request may spend
   * upstream, the budget wait, every attempt and every backoff together. A field whose
   * upstream work passes it fails with UPSTREAM_TIMEOUT (UPSTREAM_RATE_LIMITED while
   * still queued); the rest of the answer is still sent.
   */
  requestDeadlineMs: number;
  cacheTtls: CacheTtls;
  /** Live subscriptions (`alarmPage`, `alarmCreated`). */
  live: LiveConfig;
  /** Depth, aliases, directives, tokens and upstream cost of one operation. */
  queryLimits: QueryLimitsConfig;
  /**
   * `TRUSTED_DOCUMENTS_FILE`, default this checkout's
   * `client/generated/persisted-documents.json` (a relative path given is from the working
   * directory): the manifest `npm run codegen` writes. Its documents are served by hash
   * (automatic persisted queries), and they are the only ones a key created with
   * `trustedDocumentsOnly` may run.
   */
  trustedDocumentsFile: string;
  /** The facade's own API keys. */
  keys: {
    /** `DATA_DIR`, default `./data`: the SQLite store of keys and audit events when `REDIS_URL` is unset. */
    dataDir: string;
    /** `FACADE_ADMIN_KEY`: adopted as the default admin key on first start instead of printing a new one. */
    adminKey: string | undefined;
    /** `FACADE_TENANT`, default `usm-facade`: names the default key `<tenant>@<ISO time>`. */
    tenant: string;
  };
  /** Rotated upstream credentials (see `src/credentials/`). */
  credentials: {
    /**
     * `FACADE_SECRET_KEY`, default unset: 32 bytes (64 hex characters or base64) that
     * encrypt rotated upstream client secrets at rest (AES-256-GCM). Without it upstream
     * credentials cannot be rotated. Never logged or serialised (see `SecretKey`).
     */
    secretKey: SecretKey | undefined;
    /**
     * `CREDENTIAL_POLL_INTERVAL_MS`, default 10000 (0 turns polling off): how often a
     * replica reads the credential vault for upstream credentials another replica
     * rotated. A replica whose credential the token endpoint refuses reads it at once.
     */
    pollIntervalMs: number;
  };
  /** Per-client rate limits of root fields, by class (see `RateLimitsConfig`). */
  rateLimits: RateLimitsConfig;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const TRACE_EXPORTERS = ['otlp', 'console', 'none'] as const;
const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;

function flag(rule: string) {
  return z
    .enum(['true', 'false'], { message: rule })
    .transform((text) => text === 'true')
    .optional();
}

/** An OTLP protocol; grpc is named, since it is the one a reader is likely to try. */
const otlpProtocol = z
  .enum(OTLP_PROTOCOLS, { message: 'must be http/protobuf or http/json (grpc is not supported: use http/protobuf, port 4318)' })
  .optional();

const httpUrl = z.string().superRefine((url, ctx) => {
  const problem = baseUrlProblem(url);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

/** An OTLP endpoint: an http(s) URL; empty counts as unset, as the SDK takes it. */
function httpUrlOrEmpty() {
  return z
    .string()
    .regex(/^(https?:\/\/\S+)?$/, 'must be an http:// or https:// URL, e.g. http://localhost:4318')
    .transform((url) => (url === '' ? undefined : url))
    .optional();
}

function wholeNumber(min: number, max: number, fallback: number) {
  const rule = `must be a whole number from ${min} to ${max}`;
  return z.coerce.number({ message: rule }).int(rule).min(min, rule).max(max, rule).default(fallback);
}

/** A duration in milliseconds, at most one hour. */
function milliseconds(min: number, fallback: number) {
  return wholeNumber(min, 3_600_000, fallback);
}

const RATE_LIMIT_RULE =
  'must be <limit>/<seconds>, a limit of 1–1000000 calls per 1–86400 seconds (e.g. 600/60 for 600 a minute), or 0 for no limit';

/** `<limit>/<seconds>` as a `RateLimit`, `0` as null (off); unset is `fallback`. */
function rateLimit(fallback: Readonly<RateLimit>) {
  return z
    .string()
    .optional()
    .transform((text, ctx): RateLimit | null => {
      if (text === undefined) return { ...fallback };
      if (text.trim() === '0') return null;
      const match = /^(\d{1,7})\/(\d{1,5})$/.exec(text.trim());
      const limit = Number(match?.[1]);
      const duration = Number(match?.[2]);
      if (match === null || limit < 1 || limit > 1_000_000 || duration < 1 || duration > 86_400) {
        ctx.addIssue({ code: 'custom', message: RATE_LIMIT_RULE });
        return z.NEVER;
      }
      return { limit, duration };
    });
}

const envSchema = z.object({
  PORT: z.coerce
    .number({ message: 'must be a port number' })
    .int('must be a whole number')
    .min(0, 'must be between 0 and 65535')
    .max(65535, 'must be between 0 and 65535')
    .default(4000),
  HOST: z.string().min(1).default('0.0.0.0'),
  METRICS_PORT: z.coerce
    .number({ message: 'must be a port number, or 0 for no metrics listener' })
    .int('must be a whole number')
    .min(0, 'must be between 0 and 65535')
    .max(65535, 'must be between 0 and 65535')
    .default(9464),
  NODE_ENV: z
    .enum(['development', 'production', 'test'], { message: 'must be development, production or test' })
    .default('development'),
  LOG_LEVEL: z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` }).optional(),
  LOG_PRETTY: flag('must be true or false'),
  OTEL_SDK_DISABLED: flag('must be true or false'),
  OTEL_TRACES_EXPORTER: z
    .string()
    .transform((text, ctx) => {
      const names = text.split(',').map((name) => name.trim()).filter((name) => name !== '');
      if (names.length === 0 || names.some((name) => !(TRACE_EXPORTERS as readonly string[]).includes(name))) {
        ctx.addIssue({ code: 'custom', message: `must be a comma-separated list of ${TRACE_EXPORTERS.join(', ')}` });
        return z.NEVER;
      }
      return names as Array<(typeof TRACE_EXPORTERS)[number]>;
    })
    .optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrlOrEmpty(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrlOrEmpty(),
  OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol,
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: otlpProtocol,
  OTEL_SERVICE_NAME: z.string().min(1, 'must be a service name, e.g. usm-graphql-facade').default('usm-graphql-facade'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379')
    .optional(),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9:_.-]{0,63}$/, 'must be 1–64 letters, digits, ":", "_", "." or "-", e.g. usm-facade:')
    .default('usm-facade:'),
  USM_ANYWHERE_URL: httpUrl.optional(),
  USM_ANYWHERE_NAME: z.string().regex(DEPLOYMENT_NAME, 'must be a deployment name like acme-east').optional(),
  USM_ANYWHERE_CLIENT_ID: z.string().min(1).optional(),
  USM_ANYWHERE_CLIENT_SECRET: z.string().min(1).optional(),
  USM_CENTRAL_URL: httpUrl.optional(),
  USM_CENTRAL_CLIENT_ID: z.string().min(1).optional(),
  USM_CENTRAL_CLIENT_SECRET: z.string().min(1).optional(),
  SIMULATOR_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  USM_CONFIG: z.string().min(1, 'must be the path of a JSON or YAML file').optional(),
  UPSTREAM_CONNECT_TIMEOUT_MS: milliseconds(1, UPSTREAM_TUNING_DEFAULTS.connectTimeoutMs),
  UPSTREAM_REQUEST_TIMEOUT_MS: milliseconds(1, UPSTREAM_TUNING_DEFAULTS.requestTimeoutMs),
  UPSTREAM_RETRY_MAX_ATTEMPTS: wholeNumber(1, 20, UPSTREAM_TUNING_DEFAULTS.retryMaxAttempts),
  UPSTREAM_RETRY_BASE_DELAY_MS: milliseconds(0, UPSTREAM_TUNING_DEFAULTS.retryBaseDelayMs),
  UPSTREAM_RETRY_MAX_DELAY_MS: milliseconds(0, UPSTREAM_TUNING_DEFAULTS.retryMaxDelayMs),
  UPSTREAM_BREAKER_THRESHOLD: wholeNumber(1, 1000, UPSTREAM_TUNING_DEFAULTS.breakerThreshold),
  UPSTREAM_BREAKER_HALF_OPEN_AFTER_MS: milliseconds(1, UPSTREAM_TUNING_DEFAULTS.breakerHalfOpenAfterMs),
  UPSTREAM_BUDGET_SHARE: z.coerce
    .number({ message: 'must be a number greater than 0 and at most 1, e.g. 0.95' })
    .gt(0, 'must be greater than 0 and at most 1, e.g. 0.95')
    .max(1, 'must be greater than 0 and at most 1, e.g. 0.95')
    .default(UPSTREAM_TUNING_DEFAULTS.budgetShare),
  UPSTREAM_BUDGET_WINDOW_MARGIN_MS: wholeNumber(0, 1000, UPSTREAM_TUNING_DEFAULTS.budgetWindowMarginMs),
  UPSTREAM_QUEUE_MAX_WAIT_MS: milliseconds(0, UPSTREAM_TUNING_DEFAULTS.queueMaxWaitMs),
  UPSTREAM_LIVE_MAX_WAIT_MS: milliseconds(0, UPSTREAM_TUNING_DEFAULTS.liveMaxWaitMs),
  UPSTREAM_BACKGROUND_MAX_WAIT_MS: milliseconds(0, UPSTREAM_TUNING_DEFAULTS.backgroundMaxWaitMs),
  REQUEST_DEADLINE_MS: milliseconds(100, 20_000),
  UPSTREAM_PARSED_DOCUMENTS: wholeNumber(0, 100_000, UPSTREAM_TUNING_DEFAULTS.parsedDocuments),
  DATA_DIR: z.string().min(1, 'must be a directory path').default('./data'),
  FACADE_ADMIN_KEY: z
    .string()
    .regex(/^usmf_\S+$/, 'must be a facade API key (usmf_…); omit it to have one created and printed on first start')
    .optional(),
  FACADE_TENANT: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1–64 letters, digits, ".", "_" or "-"')
    .default('usm-facade'),
  FACADE_SECRET_KEY: z.string().optional(),
  CREDENTIAL_POLL_INTERVAL_MS: milliseconds(0, 10_000),
  CACHE_ALARM_TTL_MS: milliseconds(0, CACHE_TTL_DEFAULTS.alarm),
  CACHE_EVENT_TTL_MS: milliseconds(0, CACHE_TTL_DEFAULTS.event),
  CACHE_PAGE_TTL_MS: milliseconds(0, CACHE_TTL_DEFAULTS.page),
  CACHE_DEPLOYMENTS_TTL_MS: milliseconds(0, CACHE_TTL_DEFAULTS.deployments),
  RATE_LIMIT_READS: rateLimit(RATE_LIMIT_DEFAULTS.reads),
  RATE_LIMIT_LABEL_WRITES: rateLimit(RATE_LIMIT_DEFAULTS.labelWrites),
  RATE_LIMIT_KEY_MANAGEMENT: rateLimit(RATE_LIMIT_DEFAULTS.keyManagement),
  RATE_LIMIT_CREDENTIALS: rateLimit(RATE_LIMIT_DEFAULTS.credentials),
  LIVE_POLL_INTERVAL_MS: milliseconds(100, LIVE_CONFIG_DEFAULTS.pollIntervalMs),
  LIVE_MAX_SUBSCRIPTIONS_PER_KEY: wholeNumber(1, 100_000, LIVE_CONFIG_DEFAULTS.maxSubscriptionsPerKey),
  LIVE_MAX_GROUPS: wholeNumber(1, 1_000_000, LIVE_CONFIG_DEFAULTS.maxGroups),
  MAX_QUERY_DEPTH: wholeNumber(2, 100, QUERY_LIMITS_DEFAULTS.maxDepth),
  MAX_QUERY_ALIASES: wholeNumber(0, 10_000, QUERY_LIMITS_DEFAULTS.maxAliases),
  MAX_QUERY_DIRECTIVES: wholeNumber(0, 10_000, QUERY_LIMITS_DEFAULTS.maxDirectives),
  MAX_QUERY_TOKENS: wholeNumber(50, 1_000_000, QUERY_LIMITS_DEFAULTS.maxTokens),
  MAX_OPERATION_COST: wholeNumber(1, 100_000, QUERY_LIMITS_DEFAULTS.maxOperationCost),
  TRUSTED_DOCUMENTS_FILE: z.string().min(1, 'must be the path of a persisted-documents JSON file').default(path.join(PACKAGE_ROOT, 'client', 'generated', 'persisted-documents.json')),
});

type Env = z.infer<typeof envSchema>;

/** Reads one API's three variables; all three or none. */
function targetFromEnv(
  env: Env,
  api: 'anywhere' | 'central',
  problems: string[],
): UpstreamTarget | undefined {
  const prefix = api === 'anywhere' ? 'USM_ANYWHERE' : 'USM_CENTRAL';
  const url = env[`${prefix}_URL`];
  const clientId = env[`${prefix}_CLIENT_ID`];
  const clientSecret = env[`${prefix}_CLIENT_SECRET`];
  if (url === undefined && clientId === undefined && clientSecret === undefined) return undefined;
  const missing = [
    url === undefined ? `${prefix}_URL` : undefined,
    clientId === undefined ? `${prefix}_CLIENT_ID` : undefined,
    clientSecret === undefined ? `${prefix}_CLIENT_SECRET` : undefined,
  ].filter((name): name is string => name !== undefined);
  if (missing.length > 0) {
    problems.push(`${missing.join(', ')}: required when any ${prefix}_* variable is set (set all three, or none)`);
    return undefined;
  }
  const name = api === 'central' ? 'central' : (env.USM_ANYWHERE_NAME ?? deploymentNameOf(url!));
  return { api, name, url: normaliseBaseUrl(url!), clientId: clientId!, clientSecret: clientSecret! };
}

function tracingOf(values: Env): TracingConfig {
  const endpoint = values.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? values.OTEL_EXPORTER_OTLP_ENDPOINT;
  const named = values.OTEL_TRACES_EXPORTER ?? (endpoint === undefined ? [] : ['otlp' as const]);
  const exporters = [...new Set(named.filter((name) => name !== 'none'))] as Array<'otlp' | 'console'>;
  return {
    enabled: values.OTEL_SDK_DISABLED !== true && !named.includes('none') && exporters.length > 0,
    exporters,
    protocol: values.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? values.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf',
    serviceName: values.OTEL_SERVICE_NAME,
  };
}

/** Validates the environment into a `Config`; throws `ConfigError` listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const variable = issue.path.join('.');
        // zod echoes received values in some messages; name the variable and the rule only.
        return `${variable}: ${issue.message}`;
      }),
    );
  }
  const values = parsed.data;
  const problems: string[] = [];
  const anywhere = targetFromEnv(values, 'anywhere', problems);
  const envCentral = targetFromEnv(values, 'central', problems);
  const file = values.USM_CONFIG === undefined ? undefined : readDeploymentsFile(values.USM_CONFIG, env, problems);
  const secretKey = values.FACADE_SECRET_KEY === undefined ? undefined : parseSecretKey(values.FACADE_SECRET_KEY);
  if (secretKey !== undefined && !(secretKey instanceof SecretKey)) problems.push(`FACADE_SECRET_KEY: ${secretKey.problem}`);
  if (values.UPSTREAM_RETRY_MAX_DELAY_MS < values.UPSTREAM_RETRY_BASE_DELAY_MS) {
    problems.push('UPSTREAM_RETRY_MAX_DELAY_MS: must not be smaller than UPSTREAM_RETRY_BASE_DELAY_MS');
  }

  if (envCentral !== undefined && file?.central !== undefined) {
    problems.push('USM_CENTRAL_*: Central is also configured in USM_CONFIG; configure it in one place only');
  }
  const central = envCentral ?? file?.central;
  const deployments = [...(file?.deployments ?? []), ...(anywhere === undefined ? [] : [anywhere])];
  if (anywhere !== undefined && file?.deployments.some((d) => d.name === anywhere.name)) {
    problems.push(
      `USM_ANYWHERE_*: deployment name "${anywhere.name}" is also listed in USM_CONFIG; set USM_ANYWHERE_NAME to another name or drop one of them`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const nodeEnv = values.NODE_ENV;
  const upstream: UpstreamConfig =
    deployments.length === 0 && central === undefined
      ? { mode: 'embedded', simulatorPort: values.SIMULATOR_PORT }
      : { mode: 'configured', central, deployments };

  return {
    port: values.PORT,
    host: values.HOST,
    metricsPort: values.METRICS_PORT,
    nodeEnv,
    logLevel: values.LOG_LEVEL ?? (nodeEnv === 'test' ? 'silent' : 'info'),
    logPretty: values.LOG_PRETTY ?? (nodeEnv === 'development' && process.stdout.isTTY === true),
    tracing: tracingOf(values),
    redisUrl: values.REDIS_URL,
    redisPrefix: values.REDIS_PREFIX,
    upstream,
    upstreamTuning: {
      connectTimeoutMs: values.UPSTREAM_CONNECT_TIMEOUT_MS,
      requestTimeoutMs: values.UPSTREAM_REQUEST_TIMEOUT_MS,
      retryMaxAttempts: values.UPSTREAM_RETRY_MAX_ATTEMPTS,
      retryBaseDelayMs: values.UPSTREAM_RETRY_BASE_DELAY_MS,
      retryMaxDelayMs: values.UPSTREAM_RETRY_MAX_DELAY_MS,
      breakerThreshold: values.UPSTREAM_BREAKER_THRESHOLD,
      breakerHalfOpenAfterMs: values.UPSTREAM_BREAKER_HALF_OPEN_AFTER_MS,
      budgetShare: values.UPSTREAM_BUDGET_SHARE,
      budgetWindowMarginMs: values.UPSTREAM_BUDGET_WINDOW_MARGIN_MS,
      queueMaxWaitMs: values.UPSTREAM_QUEUE_MAX_WAIT_MS,
      liveMaxWaitMs: values.UPSTREAM_LIVE_MAX_WAIT_MS,
      backgroundMaxWaitMs: values.UPSTREAM_BACKGROUND_MAX_WAIT_MS,
      parsedDocuments: values.UPSTREAM_PARSED_DOCUMENTS,
    },
    requestDeadlineMs: values.REQUEST_DEADLINE_MS,
    keys: { dataDir: values.DATA_DIR, adminKey: values.FACADE_ADMIN_KEY, tenant: values.FACADE_TENANT },
    credentials: {
      secretKey: secretKey instanceof SecretKey ? secretKey : undefined,
      pollIntervalMs: values.CREDENTIAL_POLL_INTERVAL_MS,
    },
    cacheTtls: {
      alarm: values.CACHE_ALARM_TTL_MS,
      event: values.CACHE_EVENT_TTL_MS,
      page: values.CACHE_PAGE_TTL_MS,
      deployments: values.CACHE_DEPLOYMENTS_TTL_MS,
    },
    rateLimits: {
      reads: values.RATE_LIMIT_READS,
      labelWrites: values.RATE_LIMIT_LABEL_WRITES,
      keyManagement: values.RATE_LIMIT_KEY_MANAGEMENT,
      credentials: values.RATE_LIMIT_CREDENTIALS,
    },
    live: {
      pollIntervalMs: values.LIVE_POLL_INTERVAL_MS,
      maxSubscriptionsPerKey: values.LIVE_MAX_SUBSCRIPTIONS_PER_KEY,
      maxGroups: values.LIVE_MAX_GROUPS,
    },
    queryLimits: {
      maxDepth: values.MAX_QUERY_DEPTH,
      maxAliases: values.MAX_QUERY_ALIASES,
      maxDirectives: values.MAX_QUERY_DIRECTIVES,
      maxTokens: values.MAX_QUERY_TOKENS,
      maxOperationCost: values.MAX_OPERATION_COST,
    },
    trustedDocumentsFile: values.TRUSTED_DOCUMENTS_FILE,
  };
}
