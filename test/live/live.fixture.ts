/**
 * A facade whose live groups run on a hand-driven clock, and helpers to subscribe over
 * graphql-ws, inject alarms at the simulator and count the polls it saw.
 */
import { ManualClock } from '../support/manual.clock.js';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { createKey } from '../apikey/apikey.fixture.js';

export const INTERVAL_MS = 5000;
/** One interval and the most jitter can add to it. */
export const TURN_MS = INTERVAL_MS * 1.1;

export interface LiveFacade {
  facade: TestFacade;
  clock: ManualClock;
  /** A key that may read alarms (and write labels). */
  key: string;
}

export async function startLiveFacade(env: Record<string, string> = {}): Promise<LiveFacade> {
  const clock = new ManualClock();
  const facade = await startTestFacade(
    { LIVE_POLL_INTERVAL_MS: String(INTERVAL_MS), ...env },
    { facade: { live: { clock, random: () => 0 } } },
  );
  const { secret } = await createKey(facade, { name: 'wall screen', permissions: ['ALARMS_READ', 'ALARMS_WRITE'] });
  return { facade, clock, key: secret };
}

export interface SimAlarm {
  uuid: string;
  timestamp_received: number | string;
  timestamp_occured: number | string;
}

/** Oldest received first, ties by uuid: the order alarmCreated sends alarms of one deployment. */
export const inReceiptOrder = (alarms: SimAlarm[]) =>
  [...alarms].sort((a, b) => Number(a.timestamp_received) - Number(b.timestamp_received) || (a.uuid < b.uuid ? -1 : 1));

/** Creates alarms at the simulator (received now), answering them as the simulator shows them. */
export async function injectAlarms(simulatorUrl: string, deployment: string, alarms: Record<string, unknown>[] = [{}]): Promise<SimAlarm[]> {
  const response = await fetch(`${simulatorUrl}/__sim/alarms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ deployment, alarms }),
  });
  if (response.status !== 201) throw new Error(`POST /__sim/alarms: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { created: SimAlarm[] }).created;
}

interface LoggedRequest {
  seq: number;
  target: string;
  method: string;
  path: string;
  /** The raw query string without `?`, e.g. `page=0&size=6&sort=timestamp_received%2Cdesc`. */
  query: string;
  status: number;
}

/** The requests the simulator logged after `after`, and where the log ends. */
export async function requestsAfter(simulatorUrl: string, after: number): Promise<{ next: number; requests: LoggedRequest[] }> {
  const response = await fetch(`${simulatorUrl}/__sim/requests?after=${after}&limit=10000`);
  return (await response.json()) as { next: number; requests: LoggedRequest[] };
}

/** The last request the simulator logged so far: pass it as `after` to see only later ones. */
export async function logEnd(simulatorUrl: string): Promise<number> {
  const response = await fetch(`${simulatorUrl}/__sim/requests?limit=0`);
  return ((await response.json()) as { next: number }).next - 1;
}

/** Alarm list calls (`GET …/alarms`, not one alarm) logged after `after`. */
export async function alarmListCalls(simulatorUrl: string, after: number): Promise<LoggedRequest[]> {
  const { requests } = await requestsAfter(simulatorUrl, after);
  return requests.filter((r) => r.method === 'GET' && /\/alarms$/.test(r.path));
}

export interface Payload {
  data?: Record<string, unknown> | null;
  errors?: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }>;
  extensions?: Record<string, unknown>;
}

export interface Recorded {
  /** Every `next` payload, in order. */
  payloads: Payload[];
  /** The next payload not yet taken, waiting at most `timeoutMs` (real time: messages in flight, never polls). */
  next(timeoutMs?: number): Promise<Payload>;
  /** Resolves with the errors when the server ended the operation with `error`, or [] on `complete`. */
  ended: Promise<ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }>>;
  stop(): void;
}

/** The part of a graphql-ws or graphql-sse client that `record` uses: both have it. */
export interface SubscribingClient {
  subscribe(
    request: { query: string; variables?: Record<string, unknown> },
    sink: { next(value: unknown): void; error(error: unknown): void; complete(): void },
  ): () => void;
}

/** Subscribes (graphql-ws or graphql-sse) and records every payload, errors included. */
export function record(
  client: SubscribingClient,
  query: string,
  variables: Record<string, unknown> = {},
): Recorded {
  const payloads: Payload[] = [];
  let taken = 0;
  let wake: (() => void) | undefined;
  let end!: (errors: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }>) => void;
  const ended = new Promise<ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }>>((resolve) => (end = resolve));
  const stop = client.subscribe(
    { query, variables },
    {
      next: (value) => {
        payloads.push(value as Payload);
        wake?.();
      },
      error: (error) => end(Array.isArray(error) ? error : [{ message: String(error) }]),
      complete: () => end([]),
    },
  );
  return {
    payloads,
    ended,
    stop,
    async next(timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (taken >= payloads.length) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no payload within ${timeoutMs} ms (had ${payloads.length})`);
        await new Promise<void>((resolve) => {
          // Real time on purpose: a real WebSocket is under test; the timer only bounds the wait for its next payload.
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      return payloads[taken++]!;
    },
  };
}

/**
 * Resolves once the simulator has answered `count` alarm list calls after `after`: a
 * group's first poll runs as soon as it starts, not on the timers, so a test that must
 * inject alarms after that poll saw the feed waits for its answer here.
 */
export async function untilListCallsAnswered(simulatorUrl: string, after: number, count = 1): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const calls = await alarmListCalls(simulatorUrl, after);
    if (calls.filter((call) => call.status !== null).length >= count) return;
    if (Date.now() > deadline) throw new Error(`fewer than ${count} answered alarm list calls after ${after} within 5 s`);
    // Real time on purpose: the poll is a real HTTP call to the simulator, seen only in its log.
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
