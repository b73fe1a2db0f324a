/**
 * The facade's configuration: the only module that reads `process.env`.
 *
 * Contract: `loadConfig(env)` returns a typed, validated `Config` or throws one
 * `ConfigError` that lists every problem, each naming the variable and what is
 * allowed. Secrets are never echoed in a message. With no upstream configured the
 * facade runs against the embedded USM simulator (`upstream.mode === 'embedded'`).
 *
 * Each setting is declared once, with its variable, default, rule and doc (`setting.ts`),
 * in a `*.settings.ts` section in the room of the concern it tunes (`upstream/`,
 * `live/`, `protection/`, `observability/`, …), so whoever changes a concern finds its
 * knobs beside it. This module composes the sections (`SETTING_SECTIONS`): it reads
 * each variable, runs its rule, and assembles one `Config`. Data flows one way: a
 * section imports only zod and the leaves of `config/` (`setting.ts` and the like),
 * never this module; this module imports the sections; the rest of the facade receives
 * `Config` from `main.ts` and takes its fallbacks from its own room's section.
 *
 * Upstreams come from `USM_CONFIG` (a JSON or YAML file listing Central and any number
 * of Anywhere deployments, read by `deployments.file.ts`) and/or the single-deployment
 * variables `USM_ANYWHERE_*` and `USM_CENTRAL_*` (see `upstreams.settings.ts`).
 */
import { BACKPLANE_SETTINGS, type BackplaneConfig } from '../backplane/backplane.settings.js';
import { CREDENTIAL_SETTINGS, type CredentialsConfig } from '../credentials/credentials.settings.js';
import { KEY_SETTINGS, type KeysConfig } from '../keys/keys.settings.js';
import { LIVE_SETTINGS, type LiveConfig } from '../live/live.settings.js';
import { CACHE_TTL_SETTINGS, type CacheTtls } from '../loaders/cache.settings.js';
import { LOG_SETTINGS, logConfigOf, type LogConfig } from '../log/log.settings.js';
import { METRICS_SETTINGS, TRACING_SETTINGS, tracingOf, type TracingConfig } from '../observability/observability.settings.js';
import {
  KEY_BUDGET_SETTINGS,
  QUERY_LIMIT_SETTINGS,
  RATE_LIMIT_SETTINGS,
  TRUSTED_DOCUMENT_SETTINGS,
  type KeyBudgetConfig,
  type QueryLimitsConfig,
  type RateLimitsConfig,
} from '../protection/protection.settings.js';
import { DRAIN_SETTINGS, drainProblems, type DrainConfig } from '../server/drain.settings.js';
import { SERVER_SETTINGS, type ServerConfig } from '../server/server.settings.js';
import { UPSTREAM_TUNING_SETTINGS, upstreamTuningProblems, type UpstreamTuning } from '../upstream/upstream.settings.js';
import { readDeploymentsFile } from './deployments.file.js';
import type { Settings, ValuesOf } from './setting.js';
import { UPSTREAMS_SETTINGS, upstreamsOf, type UpstreamConfig } from './upstreams.settings.js';
import type { UpstreamTarget } from './upstream.target.js';

export type { UpstreamConfig, UpstreamTarget };

/**
 * Every setting the facade reads, by section. The order is the order problems are
 * reported in; no variable is in two sections (a test holds this, and the README's
 * table to it).
 */
export const SETTING_SECTIONS = {
  server: SERVER_SETTINGS,
  drain: DRAIN_SETTINGS,
  log: LOG_SETTINGS,
  metrics: METRICS_SETTINGS,
  tracing: TRACING_SETTINGS,
  backplane: BACKPLANE_SETTINGS,
  upstreams: UPSTREAMS_SETTINGS,
  upstreamTuning: UPSTREAM_TUNING_SETTINGS,
  keys: KEY_SETTINGS,
  credentials: CREDENTIAL_SETTINGS,
  cacheTtls: CACHE_TTL_SETTINGS,
  rateLimits: RATE_LIMIT_SETTINGS,
  keyBudget: KEY_BUDGET_SETTINGS,
  live: LIVE_SETTINGS,
  queryLimits: QUERY_LIMIT_SETTINGS,
  trustedDocuments: TRUSTED_DOCUMENT_SETTINGS,
} as const satisfies Record<string, Settings>;

type SectionValues = { [Name in keyof typeof SETTING_SECTIONS]: ValuesOf<(typeof SETTING_SECTIONS)[Name]> };

/** What the facade is configured to be. Each field's variable, default and doc are in its section. */
export interface Config extends ServerConfig, LogConfig, BackplaneConfig, ValuesOf<typeof METRICS_SETTINGS>, ValuesOf<typeof TRUSTED_DOCUMENT_SETTINGS> {
  /** Traces over OTLP, off by default (see `TRACING_SETTINGS`). */
  tracing: TracingConfig;
  upstream: UpstreamConfig;
  /** Timeouts, retries, breaker and rate budget for every upstream (see `UPSTREAM_TUNING_SETTINGS`). */
  upstreamTuning: UpstreamTuning;
  cacheTtls: CacheTtls;
  /** Live subscriptions (`alarmPage`, `alarmCreated`). */
  live: LiveConfig;
  /** Depth, aliases, directives, tokens and upstream cost of one operation. */
  queryLimits: QueryLimitsConfig;
  /** The facade's own API keys. */
  keys: KeysConfig;
  /** Rotated upstream credentials (see `src/credentials/`). */
  credentials: CredentialsConfig;
  /** Per-client rate limits of root fields, by class (see `RATE_LIMIT_SETTINGS`). */
  rateLimits: RateLimitsConfig;
  /** Each API key's budget in points (see `KEY_BUDGET_SETTINGS`). */
  keyBudget: KeyBudgetConfig;
  /** What SIGTERM leaves a replica to finish (see `DRAIN_SETTINGS`). */
  drain: DrainConfig;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Each section's values, or a `ConfigError` naming every variable whose value breaks its rule. */
function readSections(env: NodeJS.ProcessEnv): SectionValues {
  const problems: string[] = [];
  const sections: Record<string, Record<string, unknown>> = {};
  for (const [name, settings] of Object.entries(SETTING_SECTIONS) as Array<[string, Settings]>) {
    const values: Record<string, unknown> = {};
    for (const [field, { env: variable, default: fallback, schema }] of Object.entries(settings)) {
      const parsed = schema.safeParse(env[variable] ?? fallback);
      // Messages only: zod echoes received values in some, and a value may be a secret.
      if (parsed.success) values[field] = parsed.data;
      else problems.push(...parsed.error.issues.map((issue) => `${variable}: ${issue.message}`));
    }
    sections[name] = values;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return sections as SectionValues;
}

/** Validates the environment into a `Config`; throws `ConfigError` listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const sections = readSections(env);
  const problems = [...upstreamTuningProblems(sections.upstreamTuning), ...drainProblems(sections.drain)];
  const file = sections.upstreams.file === undefined ? undefined : readDeploymentsFile(sections.upstreams.file, env, problems);
  const upstream = upstreamsOf(sections.upstreams, file, problems);
  if (problems.length > 0) throw new ConfigError(problems);

  const { server } = sections;
  return {
    ...server,
    ...logConfigOf(sections.log, { nodeEnv: server.nodeEnv, terminal: process.stdout.isTTY === true }),
    ...sections.metrics,
    tracing: tracingOf(sections.tracing),
    ...sections.backplane,
    upstream,
    upstreamTuning: sections.upstreamTuning,
    keys: sections.keys,
    credentials: sections.credentials,
    cacheTtls: sections.cacheTtls,
    rateLimits: sections.rateLimits,
    keyBudget: sections.keyBudget,
    drain: sections.drain,
    live: sections.live,
    queryLimits: sections.queryLimits,
    ...sections.trustedDocuments,
  };
}
