/**
 * How a room declares what it can be tuned by: each setting once, with its variable,
 * its default, its doc and its rule.
 *
 * Contract: a `Setting` names one environment variable, says what it tunes (`doc`),
 * gives its default as the text a person would set (or none: unset, or derived by its
 * section from other settings, as its doc says), and a zod schema that turns text into
 * the typed value, or into issues whose messages say what is allowed and never echo
 * the value given. The default is parsed by the same schema as any value, so a default
 * that breaks its own rule fails at start-up, and the README can show it as written.
 * A section is a record of settings keyed by the names the typed `Config` uses.
 * Declarations only: nothing here reads `process.env`; `config.ts` reads it and runs
 * the sections. This module imports nothing of the facade, so any room may use it.
 */
import { z } from 'zod';

export interface Setting<T> {
  /** The environment variable. */
  readonly env: string;
  /** What it tunes, and the default's reason where it is not obvious. */
  readonly doc: string;
  /** The default as the variable's text; undefined: unset, or derived (see `doc`). */
  readonly default: string | undefined;
  /** Text, or undefined when unset without a default, to the typed value. */
  readonly schema: z.ZodType<T>;
}

/** A section: settings by the field name each fills. */
export type Settings = Readonly<Record<string, Setting<unknown>>>;

/** The typed values a section's settings produce. */
export type ValuesOf<S extends Settings> = { -readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

interface SettingSpec<T> {
  env: string;
  doc: string;
  schema: z.ZodType<T>;
}

/** A setting with a default, parsed by `schema` like any value: never undefined. */
export function setting<T>(spec: SettingSpec<T> & { default: string }): Setting<T>;
/** A setting without a default: undefined when unset. */
export function setting<T>(spec: SettingSpec<T>): Setting<T | undefined>;
export function setting<T>(spec: SettingSpec<T> & { default?: string }): Setting<T> | Setting<T | undefined> {
  const { env, doc, schema } = spec;
  if (spec.default === undefined) return Object.freeze({ env, doc, default: undefined, schema: schema.optional() });
  return Object.freeze({ env, doc, default: spec.default, schema });
}

/** A setting's value when it is not set; throws if its default breaks its own rule. */
export function defaultOf<T>({ env, default: text, schema }: Setting<T>): T {
  const parsed = schema.safeParse(text);
  if (!parsed.success) throw new Error(`${env}: its default ${String(text)} ${parsed.error.issues[0]?.message ?? 'is refused by its rule'}`);
  return parsed.data;
}

/**
 * A section's values when nothing is set, for modules to fall back on the same defaults
 * `loadConfig({})` gives.
 */
export function defaultsOf<S extends Settings>(settings: S): Readonly<ValuesOf<S>> {
  return Object.freeze(Object.fromEntries(Object.entries(settings).map(([field, each]) => [field, defaultOf(each)]))) as ValuesOf<S>;
}

// The rules settings share. Each message says what is allowed.

/** A whole number in [min, max]; blank text is refused, not read as 0. */
export function wholeNumber(min: number, max: number) {
  return number(`must be a whole number from ${min} to ${max}`, min, max);
}

/** A duration in milliseconds, at most one hour. */
export function milliseconds(min: number) {
  return wholeNumber(min, 3_600_000);
}

/** A TCP port; `zero` says what 0 means. */
export function port(zero: string) {
  return number(`must be a port number from 0 to 65535 (${zero})`, 0, 65535);
}

function number(rule: string, min: number, max: number) {
  return z
    .string()
    .trim()
    .min(1, rule)
    .pipe(z.coerce.number<string>({ message: rule }).int(rule).min(min, rule).max(max, rule));
}

/** `true` or `false`. */
export function flag() {
  return z.enum(['true', 'false'], { message: 'must be true or false' }).transform((text) => text === 'true');
}

/** One of `values`, named in the message. */
export function oneOf<const V extends readonly [string, ...string[]]>(values: V) {
  const names = values.length === 1 ? values[0] : `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
  return z.enum(values, { message: `must be ${names}` });
}

/** Text of at least one character; `rule` says what it is. */
export function text(rule: string) {
  return z.string().min(1, rule);
}
