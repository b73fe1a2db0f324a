/**
 * USM Anywhere 2.0 for one deployment, as typed calls.
 *
 * Contract: each method is one upstream request through the deployment's `HttpClient`
 * on behalf of its optional `call` (who asks, how urgently, until when; see `upstream.call.ts`)
 * (rate budget, retries, breaker, bearer token with one refresh on 401) and returns
 * normalised documents (`anywhere.schemas.ts`) or throws a `FacadeError`: `NOT_FOUND`
 * for an unknown alarm or event, `BAD_USER_INPUT` for a query the facade or the
 * upstream refuses, `UPSTREAM_INVALID_RESPONSE` with the bad field's path for a body
 * that does not parse. `alarmPages`/`eventPages` iterate by following `_links.next`,
 * always against the configured origin (the link's path and query only), and stop at
 * the last page or at a link they have already followed.
 */
import { FacadeError } from '../../errors/facade.error.js';
import type { Authenticator, HttpClient } from '../http/http.client.js';
import type { ParseContext } from '../http/response.parser.js';
import type { UpstreamCall } from '../upstream.call.js';
import { alarmsSearchParams, eventsSearchParams, type AlarmsQuery, type EventsQuery } from './anywhere.query.js';
import {
  readAlarm,
  readAlarmLabels,
  readAlarmPage,
  readEvent,
  readEventPage,
  type AlarmDocument,
  type EventDocument,
  type Page,
} from './anywhere.schemas.js';

export interface AnywhereClientOptions {
  /** The deployment's name, as configured. Required. */
  deployment: string;
  /** The deployment's client (its base URL ends in `/api/2.0`). Required. */
  http: HttpClient;
  /** Bearer tokens for the deployment's credential (a `TokenManager`). Required. */
  auth: Authenticator;
}

export class AnywhereClient {
  readonly deployment: string;
  readonly #http: HttpClient;
  readonly #auth: Authenticator;

  constructor(options: AnywhereClientOptions) {
    this.deployment = options.deployment;
    this.#http = options.http;
    this.#auth = options.auth;
  }

  async alarmsPage(query: AlarmsQuery = {}, call?: UpstreamCall): Promise<Page<AlarmDocument>> {
    return this.#alarmPageAt('/alarms', alarmsSearchParams(query, this.deployment), call);
  }

  /** Every page of the query, first to last, by following `_links.next`. */
  async *alarmPages(query: AlarmsQuery = {}, call?: UpstreamCall): AsyncGenerator<Page<AlarmDocument>> {
    yield* followPages(this.#http, await this.alarmsPage(query, call), (path, params) => this.#alarmPageAt(path, params, call));
  }

  async alarm(uuid: string, call?: UpstreamCall): Promise<AlarmDocument> {
    const path = `/alarms/${segment(uuid, 'alarm id', this.deployment)}`;
    return readAlarm(await this.#get(path, undefined, call), this.#context(path));
  }

  /** The label IDs on the alarm. */
  async alarmLabels(uuid: string, call?: UpstreamCall): Promise<string[]> {
    const path = `/alarms/${segment(uuid, 'alarm id', this.deployment)}/labels`;
    return readAlarmLabels(await this.#get(path, undefined, call), this.#context(path));
  }

  /** Idempotent: adding a label the alarm has is not an error. */
  async addAlarmLabel(uuid: string, labelId: string, call?: UpstreamCall): Promise<void> {
    await this.#http.request({ method: 'PUT', path: this.#labelPath(uuid, labelId), auth: this.#auth, call });
  }

  /** Idempotent: removing a label the alarm lacks is not an error. */
  async removeAlarmLabel(uuid: string, labelId: string, call?: UpstreamCall): Promise<void> {
    await this.#http.request({ method: 'DELETE', path: this.#labelPath(uuid, labelId), auth: this.#auth, call });
  }

  async eventsPage(query: EventsQuery = {}, call?: UpstreamCall): Promise<Page<EventDocument>> {
    return this.#eventPageAt('/events', eventsSearchParams(query, this.deployment), call);
  }

  /** Every page of the query, first to last, by following `_links.next`. */
  async *eventPages(query: EventsQuery = {}, call?: UpstreamCall): AsyncGenerator<Page<EventDocument>> {
    yield* followPages(this.#http, await this.eventsPage(query, call), (path, params) => this.#eventPageAt(path, params, call));
  }

  async event(uuid: string, call?: UpstreamCall): Promise<EventDocument> {
    const path = `/events/${segment(uuid, 'event id', this.deployment)}`;
    return readEvent(await this.#get(path, undefined, call), this.#context(path));
  }

  async #alarmPageAt(path: string, params: URLSearchParams, call: UpstreamCall | undefined): Promise<Page<AlarmDocument>> {
    return readAlarmPage(await this.#get(path, params, call), this.#context(path));
  }

  async #eventPageAt(path: string, params: URLSearchParams, call: UpstreamCall | undefined): Promise<Page<EventDocument>> {
    return readEventPage(await this.#get(path, params, call), this.#context(path));
  }

  async #get(path: string, query: URLSearchParams | undefined, call: UpstreamCall | undefined): Promise<unknown> {
    const response = await this.#http.request({ method: 'GET', path, query, auth: this.#auth, call });
    return response.body;
  }

  #labelPath(uuid: string, labelId: string): string {
    return `/alarms/${segment(uuid, 'alarm id', this.deployment)}/labels/${segment(labelId, 'label id', this.deployment)}`;
  }

  #context(path: string): ParseContext {
    return { deployment: this.deployment, what: `GET ${path}` };
  }
}

/** Yields `first`, then each page its `_links.next` leads to; shared with Central. */
export async function* followPages<T>(
  http: HttpClient,
  first: Page<T>,
  load: (path: string, params: URLSearchParams) => Promise<Page<T>>,
): AsyncGenerator<Page<T>> {
  const followed = new Set<string>();
  let page: Page<T> | undefined = first;
  while (page !== undefined) {
    yield page;
    const next = page.links.next;
    if (next === undefined || page.items.length === 0) return;
    const target = http.linkTarget(next);
    const key = `${target.path}?${target.query.toString()}`;
    if (followed.has(key)) return;
    followed.add(key);
    page = await load(target.path, target.query);
  }
}

/** One path segment from caller input: non-empty, percent-encoded. */
function segment(value: string, what: string, deployment: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new FacadeError('BAD_USER_INPUT', `${what} must be a non-empty string`, { deployment });
  }
  return encodeURIComponent(value);
}
