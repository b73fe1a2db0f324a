/**
 * What the end-to-end tests of the facade's API keys share: the GraphQL operations they
 * send, assertions on refusals, a snapshot of everything a caller can observe of the
 * key store, and graphql-ws clients that report how their connection ended.
 */
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import { parseApiKey } from '../../src/keys/api-key.format.js';
import type { GraphQLResponse } from '../support/graphql.client.js';
import type { TestFacade } from '../support/facade.fixture.js';

export const KEY_FIELDS = `id name permissions createdAt lastRotatedAt nextRotationAt
  rotation { interval gracePeriod } previousSecretValidUntil isDefault status revokedAt`;

export const CREATE = `mutation($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { secret warnings key { ${KEY_FIELDS} } }
}`;
export const ROTATE = `mutation($id: ID!, $gracePeriod: String) {
  rotateApiKey(id: $id, gracePeriod: $gracePeriod) { secret warnings key { ${KEY_FIELDS} } }
}`;
export const RESET = `mutation($id: ID!) { resetApiKey(id: $id) { secret warnings key { ${KEY_FIELDS} } } }`;
export const SET_ROTATION = `mutation($id: ID!, $rotation: RotationPolicyInput) {
  setApiKeyRotation(id: $id, rotation: $rotation) { warnings key { ${KEY_FIELDS} } }
}`;
export const REVOKE = `mutation($id: ID!) { revokeApiKey(id: $id) { ${KEY_FIELDS} } }`;
export const DELETE = `mutation($id: ID!) { deleteApiKey(id: $id) { ${KEY_FIELDS} } }`;
export const VIEWER = '{ viewer { id name permissions isDefault } }';
export const ROTATED = 'subscription { apiKeyRotated { keyId secret previousSecretValidUntil rotatedAt trigger } }';

export interface KeyView {
  id: string;
  name: string;
  permissions: string[];
  createdAt: string;
  lastRotatedAt: string | null;
  nextRotationAt: string | null;
  rotation: { interval: string; gracePeriod: string } | null;
  previousSecretValidUntil: string | null;
  isDefault: boolean;
  status: 'ACTIVE' | 'REVOKED';
  revokedAt: string | null;
}

export interface Created {
  secret: string;
  warnings: string[];
  key: KeyView;
}

export interface ApiKeyRotation {
  keyId: string;
  secret: string;
  previousSecretValidUntil: string | null;
  rotatedAt: string;
  trigger: string;
}

/** The data of an answer that must have succeeded. */
export function dataOf<T>(response: GraphQLResponse<T>): T {
  assert.equal(response.body.errors, undefined, `unexpected errors: ${JSON.stringify(response.body.errors)}`);
  assert.equal(response.status, 200);
  return response.body.data!;
}

export async function createKey(facade: TestFacade, input: Record<string, unknown>, headers?: Record<string, string>): Promise<Created> {
  return dataOf(await facade.gql<{ createApiKey: Created }>(CREATE, { input }, headers)).createApiKey;
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** Asserts an HTTP 401 whose one GraphQL error is UNAUTHENTICATED, with no data and no stack trace. */
export function assertUnauthenticated(response: GraphQLResponse, message: RegExp = /./): void {
  assert.equal(response.status, 401, JSON.stringify(response.body));
  assert.equal(response.body.errors?.length, 1);
  assert.equal(response.body.errors[0]!.extensions?.['code'], 'UNAUTHENTICATED');
  assert.match(response.body.errors[0]!.message, message);
  assert.equal(response.body.data, undefined);
  assertNoStackTrace(response.body);
}

export function assertNoStackTrace(body: unknown): void {
  assert.doesNotMatch(JSON.stringify(body), /stacktrace|\bat .*\.[jt]s:\d+|node_modules/);
}

/** Asserts the answer's one error has `code` and a message matching `message`, and no data. */
export function assertRefused(response: GraphQLResponse, code: string, message: RegExp): void {
  assert.equal(response.body.errors?.length, 1, `expected one ${code} error, got ${JSON.stringify(response.body)}`);
  const [error] = response.body.errors;
  assert.equal(error!.extensions?.['code'], code, error!.message);
  assert.match(error!.message, message);
  assert.ok(response.body.data === null || response.body.data === undefined);
  assertNoStackTrace(response.body);
}

/**
 * Every key and audit event as callers see them. `lastUsedAt` is left out: it is
 * bookkeeping written as the admin key is used, not state a mutation may lose.
 */
export async function observableState(facade: TestFacade): Promise<unknown> {
  return dataOf(
    await facade.gql(`{
      apiKeys { ${KEY_FIELDS} }
      auditEvents(first: 100) { totalCount edges { node { id at actor actorKeyId action keyId keyName details } } }
    }`),
  );
}

/** Sends `query`, asserts it is refused with `code` and `message`, and that no key or audit event changed. */
export async function assertRefusedWithoutChange(
  facade: TestFacade,
  query: string,
  variables: Record<string, unknown>,
  code: string,
  message: RegExp,
  headers?: Record<string, string>,
): Promise<void> {
  const before = await observableState(facade);
  assertRefused(await facade.gql(query, variables, headers), code, message);
  assert.deepEqual(await observableState(facade), before, 'a refused change must leave every key and audit event as it was');
}

/** Asserts that none of `secrets` (whole keys, or their secret part) appears in `text`. */
export function assertNoSecretIn(text: string, secrets: Iterable<string>, where: string): void {
  for (const key of secrets) {
    assert.ok(!text.includes(key), `a whole API key is in ${where}`);
    const parsed = parseApiKey(key);
    assert.ok(parsed.ok, 'only issued keys are searched for');
    assert.ok(!text.includes(parsed.secret), `the secret part of an API key is in ${where}`);
  }
}

export const wsUrl = (facade: { url: string }) => facade.url.replace(/^http/, 'ws');

export interface WsConnection {
  client: Client;
  /** Resolves when the server acknowledged `connection_init`; rejects if the connection closed first. */
  acknowledged: Promise<void>;
  /** Resolves with the close code and reason when the connection ends. */
  closed: Promise<{ code: number; reason: string }>;
  /** Whether the connection has ended (the client does not reconnect: `retryAttempts` is 0). */
  isClosed(): boolean;
  dispose(): Promise<void>;
}

/** `ws`'s WebSocket, sending `headers` with its upgrade request (as a proxy in front adds X-Forwarded-For). */
function webSocketSending(headers: Record<string, string>) {
  return class extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  };
}

/**
 * A graphql-ws connection that opens at once, never retries, and sends `params` in
 * `connection_init` (and `upgradeHeaders`, if any, with its HTTP upgrade request).
 */
export function connectWs(facade: { url: string }, params: Record<string, unknown>, upgradeHeaders?: Record<string, string>): WsConnection {
  let acknowledge!: () => void;
  let refuse!: (error: Error) => void;
  let close!: (event: { code: number; reason: string }) => void;
  let ended = false;
  const acknowledged = new Promise<void>((resolve, reject) => {
    acknowledge = resolve;
    refuse = reject;
  });
  acknowledged.catch(() => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (close = resolve));
  const client = createClient({
    url: wsUrl(facade),
    webSocketImpl: upgradeHeaders === undefined ? WebSocket : webSocketSending(upgradeHeaders),
    lazy: false,
    retryAttempts: 0,
    connectionParams: params,
    onNonLazyError: () => undefined,
    on: {
      connected: () => acknowledge(),
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        ended = true;
        refuse(new Error(`connection closed before acknowledgement: ${code} ${reason}`));
        close({ code, reason: String(reason) });
      },
    },
  });
  return { client, acknowledged, closed, isClosed: () => ended, dispose: async () => client.dispose() };
}

/** The one result of a query or mutation over graphql-ws: its data, or the errors it was refused with. */
export function wsExecute<T = Record<string, unknown>>(client: Client, query: string): Promise<FormattedExecutionResult<T, unknown>> {
  return new Promise((resolve, reject) => {
    let result: FormattedExecutionResult<T, unknown> | undefined;
    client.subscribe<T>(
      { query },
      {
        next: (value) => (result = value),
        error: (error) => (Array.isArray(error) ? resolve({ errors: error }) : reject(error)),
        complete: () => (result === undefined ? reject(new Error('completed without a result')) : resolve(result)),
      },
    );
  });
}

export interface WsSubscription<T> {
  received: T[];
  /** The next payload not yet taken, waiting at most `timeoutMs`. */
  next(timeoutMs?: number): Promise<T>;
  stop(): void;
}

/** Subscribes and keeps every payload in order. */
export function wsSubscribe<T>(client: Client, query: string, pick: (data: Record<string, unknown>) => T): WsSubscription<T> {
  const received: T[] = [];
  let taken = 0;
  const waiters: Array<() => void> = [];
  const stop = client.subscribe(
    { query },
    {
      next: (value) => {
        assert.equal(value.errors, undefined, `subscription error: ${JSON.stringify(value.errors)}`);
        received.push(pick(value.data as Record<string, unknown>));
        for (const wake of waiters.splice(0)) wake();
      },
      error: () => undefined,
      complete: () => undefined,
    },
  );
  return {
    received,
    stop,
    async next(timeoutMs = 2_000) {
      const deadline = Date.now() + timeoutMs;
      while (taken >= received.length) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no subscription payload within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          // Real time on purpose: a real WebSocket is under test; the timer only bounds the wait for its next message.
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return received[taken++]!;
    },
  };
}

/** Rejects when `promise` takes longer than `ms`. */
export async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        // Real time on purpose: this bounds waits on real sockets and processes, it never decides when something happens.
        timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
