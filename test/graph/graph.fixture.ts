/**
 * Helpers for the schema's end-to-end tests: read the simulator's own REST data
 * directly (the truth a walk through the facade is compared with), walk a connection
 * through the facade page by page, and inject alarms through the simulator's control
 * API. Direct reads use a client of their own, so they neither spend the facade's
 * quota nor blur which client made which call.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { encodeGlobalId } from '../../src/graph/node/global.id.js';
import { startFacade } from '../../src/main.js';
import type { TestFacade } from '../support/facade.fixture.js';
import { postGraphQL } from '../support/graphql.client.js';

/** An alarm as the simulator lists it (the fields the tests compare). */
export interface RestAlarm {
  uuid: string;
  deployment: string;
  timestamp_occured: number;
  timestamp_received: number;
  alarm_labels: string[];
  raw: Record<string, unknown>;
}

/** An event as the simulator lists it. */
export interface RestEvent {
  uuid: string;
  deployment: string;
  timestamp_occured: number;
  raw: Record<string, unknown>;
}

type Params = Record<string, string | readonly string[]>;

export interface DirectReader {
  deployment: string;
  /** Every alarm `GET /alarms` lists for `params`, following the HAL `next` links with size=500. */
  alarms(params?: Params): Promise<RestAlarm[]>;
  /** Every event `GET /events` lists for `params`, likewise. */
  events(params?: Params): Promise<RestEvent[]>;
}

/** A reader of one simulated deployment's REST API under a client created for the test. */
export async function directReader(facade: TestFacade, deployment: string): Promise<DirectReader> {
  const target = facade.simulator!.deployments.find((d) => d.name === deployment);
  if (target === undefined) throw new Error(`the simulator has no deployment ${deployment}`);
  const created = await fetch(`${facade.simulatorUrl}/__sim/clients`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ deployment }),
  });
  const client = (await created.json()) as { clientId: string; clientSecret: string };
  const basic = Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64');
  const granted = await fetch(`${target.url}/oauth/token?grant_type=client_credentials`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}` },
  });
  const { access_token: token } = (await granted.json()) as { access_token: string };
  /** Every item of a HAL list, in the order the pages give them (500 a page unless `params` say). */
  const list = async (collection: string, embedded: string, params: Params): Promise<Array<Record<string, unknown>>> => {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) {
      for (const v of typeof value === 'string' ? [value] : value) query.append(name, v);
    }
    if (!query.has('size')) query.set('size', '500');
    const result: Array<Record<string, unknown>> = [];
    let url: string | undefined = `${target.url}/${collection}?${query}`;
    while (url !== undefined) {
      const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}`);
      const page = (await response.json()) as {
        _embedded?: Record<string, Array<Record<string, unknown>>>;
        _links: { next?: { href: string } };
      };
      result.push(...(page._embedded?.[embedded] ?? []));
      url = page._links.next?.href;
    }
    return result;
  };
  return {
    deployment,
    async alarms(params = {}) {
      return (await list('alarms', 'alarms', params)).map((doc) => restAlarm(deployment, doc));
    },
    async events(params = {}) {
      return (await list('events', 'eventResources', params)).map((doc) => ({
        uuid: doc.uuid as string,
        deployment,
        timestamp_occured: Number(doc.timestamp_occured),
        raw: doc,
      }));
    },
  };
}

function restAlarm(deployment: string, doc: Record<string, unknown>): RestAlarm {
  return {
    uuid: doc.uuid as string,
    deployment,
    timestamp_occured: Number(doc.timestamp_occured),
    timestamp_received: Number(doc.timestamp_received),
    alarm_labels: doc.alarm_labels as string[],
    raw: doc,
  };
}

export const alarmId = (alarm: { deployment: string; uuid: string }): string =>
  encodeGlobalId('Alarm', alarm.deployment, alarm.uuid);

export type SortKey = 'timestamp_occured' | 'timestamp_received';

/**
 * The facade's documented total order (sort key, then deployment, then uuid, both
 * ascending whatever the direction), spelled out independently of the code under test.
 */
export function feedOrder(field: SortKey, direction: 'asc' | 'desc') {
  const sign = direction === 'asc' ? 1 : -1;
  return (a: RestAlarm, b: RestAlarm): number =>
    sign * (a[field] - b[field]) ||
    (a.deployment < b.deployment ? -1 : a.deployment > b.deployment ? 1 : 0) ||
    (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0);
}

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface WalkedPage {
  ids: string[];
  cursors: string[];
  pageInfo: PageInfo;
  totalCount: number;
}

export interface WalkOptions {
  /** Omit for the merged feed of every deployment. */
  deployment?: string;
  filter?: Record<string, unknown>;
  orderBy?: { field: 'OCCURRED_AT' | 'RECEIVED_AT'; direction: 'ASC' | 'DESC' };
  direction: 'forward' | 'backward';
  /** Relay page size; default 100. */
  count?: number;
  /** Runs after each page that has a next one, before asking for it. */
  between?: (page: WalkedPage, index: number) => Promise<void>;
}

const WALK_QUERY = `
  query Walk($deployment: String, $first: Int, $after: String, $last: Int, $before: String,
             $filter: AlarmFilter, $orderBy: AlarmOrder) {
    alarms(deployment: $deployment, first: $first, after: $after, last: $last, before: $before,
           filter: $filter, orderBy: $orderBy) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id } }
    }
  }`;

interface WalkData {
  alarms: { totalCount: number; pageInfo: PageInfo; edges: Array<{ cursor: string; node: { id: string } }> };
}

/**
 * Pages through `alarms` to the end (forward: `first`/`after` until no next page;
 * backward: `last`/`before` until no previous page). Returns the pages in the order
 * they were fetched and every id in feed order.
 */
export async function walkAlarms(facade: TestFacade, options: WalkOptions): Promise<{ ids: string[]; pages: WalkedPage[] }> {
  const forward = options.direction === 'forward';
  const count = options.count ?? 100;
  const pages: WalkedPage[] = [];
  let cursor: string | null = null;
  for (let index = 0; index < 10_000; index += 1) {
    const { body }: { body: { data?: WalkData | null; errors?: unknown[] } } = await facade.gql<WalkData>(WALK_QUERY, {
      deployment: options.deployment ?? null,
      filter: options.filter ?? null,
      orderBy: options.orderBy ?? null,
      ...(forward ? { first: count, after: cursor } : { last: count, before: cursor }),
    });
    if (body.errors !== undefined) throw new Error(`page ${index} failed: ${JSON.stringify(body.errors)}`);
    const { edges, pageInfo, totalCount }: WalkData['alarms'] = body.data!.alarms;
    const page: WalkedPage = { ids: edges.map((e) => e.node.id), cursors: edges.map((e) => e.cursor), pageInfo, totalCount };
    pages.push(page);
    const more = forward ? pageInfo.hasNextPage : pageInfo.hasPreviousPage;
    if (!more) {
      const ordered = forward ? pages : [...pages].reverse();
      return { ids: ordered.flatMap((p) => p.ids), pages };
    }
    await options.between?.(page, index);
    cursor = forward ? pageInfo.endCursor : pageInfo.startCursor;
  }
  throw new Error('the walk does not end');
}

/** Creates alarms through `POST /__sim/alarms`; `alarms` entries override generated fields. */
export async function injectAlarms(
  facade: TestFacade,
  deployment: string,
  alarms: Array<Record<string, unknown>>,
): Promise<RestAlarm[]> {
  const response = await fetch(`${facade.simulatorUrl}/__sim/alarms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ deployment, alarms }),
  });
  if (response.status !== 201) throw new Error(`POST /__sim/alarms answered ${response.status}: ${await response.text()}`);
  const { created } = (await response.json()) as { created: Array<Record<string, unknown>> };
  return created.map((doc) => restAlarm(deployment, doc));
}

/** Asserts nothing; returns the ids that occur more than once (for readable failures). */
export function repeated(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  return ids.filter((id) => (seen.has(id) ? true : (seen.add(id), false)));
}

/**
 * A second facade over the simulator of `primary`, configured through `USM_CONFIG` with
 * USM Central and only the `direct` deployments' own credentials: every other
 * deployment is read through Central. It adopts `primary`'s admin key and keeps its own
 * store. Stop it before `primary`.
 */
export async function startFacadeOver(primary: TestFacade, direct: readonly string[]): Promise<TestFacade> {
  const simulator = primary.simulator!;
  const dataDir = await mkdtemp(path.join(tmpdir(), 'usm-facade-test-'));
  const file = path.join(dataDir, 'usm.json');
  await writeFile(
    file,
    JSON.stringify({
      central: { url: simulator.central.url, clientId: simulator.central.clientId, clientSecret: simulator.central.clientSecret },
      deployments: simulator.deployments
        .filter((d) => direct.includes(d.name))
        .map((d) => ({ name: d.name, url: d.url, clientId: d.clientId, clientSecret: d.clientSecret })),
    }),
  );
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    FACADE_ADMIN_KEY: primary.adminKey,
    USM_CONFIG: file,
  });
  const facade = await startFacade(config);
  const stop = facade.stop;
  return Object.assign(facade, {
    adminKey: primary.adminKey,
    dataDir,
    simulatorUrl: primary.simulatorUrl,
    // As `startTestFacade`'s gql: the admin key unless the headers say otherwise.
    gql: <T>(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
      postGraphQL<T>(facade.url, query, variables, { authorization: `Bearer ${primary.adminKey}`, ...headers }),
    async stop() {
      await stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  });
}
