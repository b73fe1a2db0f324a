/**
 * Reads the query string of a list endpoint (`/alarms`, `/events`).
 *
 * Contract: returns a validated `ListQuery` or throws `HttpProblem(400)` whose message
 * names the parameter, what was given and what is allowed; it never lets a bad value
 * reach the data. Defaults: page 0, size 20 (1..500), sort `timestamp_occured,desc`.
 * A sort field given without a direction sorts ascending, as Spring Data (which the
 * USM APIs are built on) does. Repeatable enum filters (`status`, `priority_label`)
 * accept repeated parameters and comma lists alike; every other known parameter may
 * appear once (a second value is ambiguous, so it is refused rather than guessed).
 * Unknown parameters are ignored, as the real APIs do.
 */
import { HttpProblem } from './json.reply.js';
import type { SortDirection, SortField } from './sorted.index.js';

export type FilterSpec<T> =
  | { name: string; kind: 'enum'; values: readonly string[]; get: (item: T) => string }
  | { name: string; kind: 'exact'; get: (item: T) => string | null }
  | { name: string; kind: 'uuid'; get: (item: T) => string | readonly string[] }
  | { name: string; kind: 'boolean'; get: (item: T) => boolean }
  | { name: string; kind: 'gte' | 'lte'; get: (item: T) => number };

export interface ListQuery<T> {
  /** Zero-based. */
  page: number;
  size: number;
  field: SortField;
  direction: SortDirection;
  /** Canonical text of the filters: equal for equal filters, whatever their order. */
  filterKey: string;
  /** Undefined when nothing is filtered. */
  predicate: ((item: T) => boolean) | undefined;
  /** The filters re-encoded for HAL links, e.g. `status=open&suppressed=false`; may be empty. */
  linkFilters: string;
}

const MAX_PAGE_SIZE = 500;
const DEFAULT_PAGE_SIZE = 20;
/** Spring binds `page` to a Java int. */
const MAX_PAGE = 2_147_483_647;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INTEGER = /^-?\d{1,16}$/;
const SORT = /^(timestamp_occured|timestamp_received)(?:,(asc|desc))?$/i;

export function isUuid(text: string): boolean {
  return UUID.test(text);
}

function encodeValue(value: string): string {
  // Commas stay literal, as in the vendor's own links (`sort=timestamp_occured,desc`).
  return encodeURIComponent(value).replaceAll('%2C', ',');
}

function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) throw new HttpProblem(400, `${name} may be given only once; got ${values.length} values`);
  return values[0];
}

export function parseListQuery<T>(params: URLSearchParams, filters: readonly FilterSpec<T>[]): ListQuery<T> {
  const pageText = single(params, 'page');
  let page = 0;
  if (pageText !== undefined) {
    if (!/^\d{1,10}$/.test(pageText) || Number(pageText) > MAX_PAGE) {
      throw new HttpProblem(400, `page must be an integer from 0 to ${MAX_PAGE}; got '${pageText}'`);
    }
    page = Number(pageText);
  }

  const sizeText = single(params, 'size');
  let size = DEFAULT_PAGE_SIZE;
  if (sizeText !== undefined) {
    if (!/^\d{1,4}$/.test(sizeText) || Number(sizeText) < 1 || Number(sizeText) > MAX_PAGE_SIZE) {
      throw new HttpProblem(400, `size must be an integer from 1 to ${MAX_PAGE_SIZE}; got '${sizeText}'`);
    }
    size = Number(sizeText);
  }

  const sortText = single(params, 'sort');
  let field: SortField = 'timestamp_occured';
  let direction: SortDirection = 'desc';
  if (sortText !== undefined) {
    const match = SORT.exec(sortText);
    if (match === null) {
      throw new HttpProblem(
        400,
        `sort must be timestamp_occured or timestamp_received, optionally followed by ,asc or ,desc; got '${sortText}'`,
      );
    }
    field = match[1] as SortField;
    direction = (match[2]?.toLowerCase() ?? 'asc') as SortDirection;
  }

  const tests: Array<(item: T) => boolean> = [];
  const keyParts: string[] = [];
  const linkParts: string[] = [];
  for (const spec of filters) {
    const raw = spec.kind === 'enum' ? params.getAll(spec.name) : [single(params, spec.name)];
    if (raw[0] === undefined) continue;
    for (const value of raw as string[]) linkParts.push(`${spec.name}=${encodeValue(value)}`);
    const value = raw[0];
    switch (spec.kind) {
      case 'enum': {
        const wanted = new Set<string>();
        for (const part of (raw as string[]).flatMap((v) => v.split(','))) {
          if (!spec.values.includes(part)) {
            throw new HttpProblem(400, `${spec.name} must be one of ${spec.values.join(', ')}; got '${part}'`);
          }
          wanted.add(part);
        }
        keyParts.push(`${spec.name}=${[...wanted].sort().join(',')}`);
        tests.push((item) => wanted.has(spec.get(item)));
        break;
      }
      case 'exact': {
        if (value === '') throw new HttpProblem(400, `${spec.name} must not be empty`);
        keyParts.push(`${spec.name}=${value}`);
        tests.push((item) => spec.get(item) === value);
        break;
      }
      case 'uuid': {
        if (!isUuid(value)) throw new HttpProblem(400, `${spec.name} must be a UUID; got '${value}'`);
        const wanted = value.toLowerCase();
        keyParts.push(`${spec.name}=${wanted}`);
        tests.push((item) => {
          const actual = spec.get(item);
          return typeof actual === 'string' ? actual === wanted : actual.includes(wanted);
        });
        break;
      }
      case 'boolean': {
        const lowered = value.toLowerCase();
        if (lowered !== 'true' && lowered !== 'false') {
          throw new HttpProblem(400, `${spec.name} must be true or false; got '${value}'`);
        }
        const wanted = lowered === 'true';
        keyParts.push(`${spec.name}=${wanted}`);
        tests.push((item) => spec.get(item) === wanted);
        break;
      }
      case 'gte':
      case 'lte': {
        if (!INTEGER.test(value) || !Number.isSafeInteger(Number(value))) {
          throw new HttpProblem(400, `${spec.name} must be an integer of epoch milliseconds; got '${value}'`);
        }
        const bound = Number(value);
        keyParts.push(`${spec.name}=${bound}`);
        tests.push(spec.kind === 'gte' ? (item) => spec.get(item) >= bound : (item) => spec.get(item) <= bound);
        break;
      }
      default: {
        const unreachable: never = spec;
        throw new Error(`unhandled filter ${JSON.stringify(unreachable)}`);
      }
    }
  }

  const predicate =
    tests.length === 0
      ? undefined
      : tests.length === 1
        ? tests[0]
        : (item: T) => {
            for (const test of tests) if (!test(item)) return false;
            return true;
          };
  return { page, size, field, direction, filterKey: keyParts.join('&'), predicate, linkFilters: linkParts.join('&') };
}
