/**
 * A small typed client of the facade, as a frontend team would write one: the generated
 * documents (`client/generated/`, from `operations/*.graphql` by `npm run codegen`) with
 * graphql-request over HTTP and graphql-ws for the live page. Every result and variable
 * is typed by the schema; nothing here is written by hand that codegen knows.
 *
 * Run it against a facade (`npm start` prints the admin key on first start):
 *
 *   FACADE_URL=http://localhost:4000/graphql FACADE_API_KEY=usmf_… node dist/examples/alarms.client.js
 */
import { pathToFileURL } from 'node:url';
import { print } from 'graphql';
import { GraphQLClient } from 'graphql-request';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import {
  AlarmsNextPageDocument,
  AlarmsPreviousPageDocument,
  LiveAlarmPageDocument,
  ViewerDocument,
  type AlarmsNextPageQuery,
  type LiveAlarmPageSubscription,
  type LiveAlarmPageSubscriptionVariables,
  type ViewerQuery,
} from '../client/generated/graphql.js';

export type AlarmPage = AlarmsNextPageQuery['alarms'];

export interface FacadeClient {
  viewer(): Promise<ViewerQuery['viewer']>;
  /** Pages of all deployments' alarms, newest first, from the start (or `after` a cursor) until the last. */
  pages(pageSize: number, after?: string | null): AsyncGenerator<AlarmPage>;
  /** The page of `pageSize` alarms before `before`: paging back. */
  previousPage(pageSize: number, before: string): Promise<AlarmPage>;
  /** Calls `onPage` with the live page now and each time it changes; the function returned stops it. */
  liveAlarmPage(variables: LiveAlarmPageSubscriptionVariables, onPage: (page: LiveAlarmPageSubscription['alarmPage']) => void, onError?: (error: unknown) => void): () => void;
  close(): Promise<void>;
}

export function facadeClient(options: { url: string; apiKey: string }): FacadeClient {
  const authorization = `Bearer ${options.apiKey}`;
  const http = new GraphQLClient(options.url, { headers: { authorization } });
  let ws: Client | undefined;
  const socket = () =>
    (ws ??= createClient({ url: options.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { Authorization: authorization } }));
  return {
    async viewer() {
      return (await http.request(ViewerDocument)).viewer;
    },
    async *pages(pageSize, after = null) {
      for (let cursor = after; ; ) {
        const { alarms } = await http.request(AlarmsNextPageDocument, { first: pageSize, after: cursor });
        yield alarms;
        if (!alarms.pageInfo.hasNextPage) return;
        cursor = alarms.pageInfo.endCursor;
      }
    },
    async previousPage(pageSize, before) {
      return (await http.request(AlarmsPreviousPageDocument, { last: pageSize, before })).alarms;
    },
    liveAlarmPage(variables, onPage, onError = () => {}) {
      return socket().subscribe<LiveAlarmPageSubscription>(
        { query: print(LiveAlarmPageDocument), variables },
        {
          next: (result) => {
            if (result.data) onPage(result.data.alarmPage);
            else onError(result.errors);
          },
          error: onError,
          complete: () => {},
        },
      );
    },
    async close() {
      await ws?.dispose();
    },
  };
}

/** As a program: who am I, then the first three pages of ten alarms. */
async function main(): Promise<void> {
  const url = process.env['FACADE_URL'] ?? 'http://localhost:4000/graphql';
  const apiKey = process.env['FACADE_API_KEY'];
  if (apiKey === undefined) throw new Error('set FACADE_API_KEY to a facade API key (usmf_…)');
  const client = facadeClient({ url, apiKey });
  try {
    const viewer = await client.viewer();
    console.log(`key ${viewer.name} (${viewer.permissions.join(', ')})`);
    let n = 0;
    for await (const page of client.pages(10)) {
      for (const { node } of page.edges) console.log(`${node.occurredAt ?? '?'}  ${node.priorityLabel ?? '-'}  ${node.id}`);
      if (++n === 3) break;
    }
  } finally {
    await client.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
