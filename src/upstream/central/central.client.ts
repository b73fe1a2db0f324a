/**
 * USM Central 1.1 as typed calls: the managed deployments, and alarms and events
 * across them.
 *
 * Contract: as `AnywhereClient` (one upstream request per call through Central's own
 * `HttpClient` and token; `FacadeError`s only), returning the same normalised
 * `AlarmDocument`/`EventDocument` types with each document's deployment taken from
 * the data (see `central.schemas.ts`). A Central token opens Central only: reading a deployment's own
 * API needs that deployment's credentials (`AnywhereClient`).
 */
import { FacadeError } from '../../errors/facade.error.js';
import { followPages } from '../anywhere/anywhere.client.js';
import { alarmsSearchParams, eventsSearchParams, type AlarmsQuery, type EventsQuery } from '../anywhere/anywhere.query.js';
import type { AlarmDocument, EventDocument, Page } from '../anywhere/anywhere.schemas.js';
import type { Authenticator, HttpClient } from '../http/http.client.js';
import type { ParseContext } from '../http/response.parser.js';
import type { UpstreamCall } from '../upstream.call.js';
import {
  readCentralAlarm,
  readCentralAlarmPage,
  readCentralDeployments,
  readCentralEventPage,
  type CentralDeployment,
} from './central.schemas.js';

export interface CentralClientOptions {
  /** Central's client (its base URL ends in `/api/1.1`). Required. */
  http: HttpClient;
  /** Bearer tokens for Central's credential. Required. */
  auth: Authenticator;
}

const NAME = 'central';

export class CentralClient {
  readonly #http: HttpClient;
  readonly #auth: Authenticator;

  constructor(options: CentralClientOptions) {
    this.#http = options.http;
    this.#auth = options.auth;
  }

  async deployments(call?: UpstreamCall): Promise<CentralDeployment[]> {
    return readCentralDeployments(await this.#get('/deployments', undefined, call), context('/deployments'));
  }

  async alarmsPage(query: AlarmsQuery = {}, call?: UpstreamCall): Promise<Page<AlarmDocument>> {
    return this.#alarmPageAt('/alarms', alarmsSearchParams(query, NAME), call);
  }

  async *alarmPages(query: AlarmsQuery = {}, call?: UpstreamCall): AsyncGenerator<Page<AlarmDocument>> {
    yield* followPages(this.#http, await this.alarmsPage(query, call), (path, params) => this.#alarmPageAt(path, params, call));
  }

  async alarm(id: string, call?: UpstreamCall): Promise<AlarmDocument> {
    if (typeof id !== 'string' || id.trim() === '') {
      throw new FacadeError('BAD_USER_INPUT', 'alarm id must be a non-empty string', { deployment: NAME });
    }
    const path = `/alarms/${encodeURIComponent(id)}`;
    return readCentralAlarm(await this.#get(path, undefined, call), context(path));
  }

  async eventsPage(query: EventsQuery = {}, call?: UpstreamCall): Promise<Page<EventDocument>> {
    return this.#eventPageAt('/events', eventsSearchParams(query, NAME), call);
  }

  async *eventPages(query: EventsQuery = {}, call?: UpstreamCall): AsyncGenerator<Page<EventDocument>> {
    yield* followPages(this.#http, await this.eventsPage(query, call), (path, params) => this.#eventPageAt(path, params, call));
  }

  async #alarmPageAt(path: string, params: URLSearchParams, call: UpstreamCall | undefined): Promise<Page<AlarmDocument>> {
    return readCentralAlarmPage(await this.#get(path, params, call), context(path));
  }

  async #eventPageAt(path: string, params: URLSearchParams, call: UpstreamCall | undefined): Promise<Page<EventDocument>> {
    return readCentralEventPage(await this.#get(path, params, call), context(path));
  }

  async #get(path: string, query: URLSearchParams | undefined, call: UpstreamCall | undefined): Promise<unknown> {
    return (await this.#http.request({ method: 'GET', path, query, auth: this.#auth, call })).body;
  }
}

function context(path: string): ParseContext {
  return { deployment: NAME, what: `GET ${path}` };
}
