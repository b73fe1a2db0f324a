/**
 * Shared helpers for the simulator's tests: a manual clock, a simulator started on an
 * ephemeral port with it, and small HTTP helpers that speak the USM APIs. Each suite
 * starts its own simulator in `before()` and stops it in `after()`.
 */
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../src/simulator/simulator.js';

/** 2026-09-30T00:00:00Z, the day of the vendor-style samples; a whole minute, so it is also the data's base time. */
export const BASE_TIME = 1_790_812_800_000;

/**
 * A clock tests move by hand; the simulator reads it for token expiry and the quota
 * window. With `tickMs` > 0 every reading also moves it on, so suites that make many
 * calls without caring about the quota never meet a 429 (a call reads it 2–3 times).
 */
export class ManualClock {
  constructor(
    public time = BASE_TIME,
    public tickMs = 0,
  ) {}
  readonly now = (): number => {
    const time = this.time;
    this.time += this.tickMs;
    return time;
  };
  advance(ms: number): void {
    this.time += ms;
  }
}

export interface TestSimulator {
  sim: RunningSimulator;
  clock: ManualClock;
}

/**
 * Starts a simulator on port 0 with a manual clock (frozen unless `tickMs` is given)
 * and, unless asked otherwise, 200 alarms per deployment.
 */
export async function startTestSimulator(options: SimulatorOptions = {}, tickMs = 0): Promise<TestSimulator> {
  const clock = new ManualClock(BASE_TIME, tickMs);
  const sim = await startSimulator({ alarmsPerDeployment: 200, now: clock.now, ...options });
  return { sim, clock };
}

export function basicAuth(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
}

export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export async function call<T = any>(
  url: string,
  init: { method?: string; token?: string; authorization?: string; body?: unknown; form?: string } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = {};
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  if (init.authorization !== undefined) headers.authorization = init.authorization;
  let body: string | undefined;
  if (init.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = init.form;
  } else if (init.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
  }
  const response = await fetch(url, { method: init.method ?? 'GET', headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
}

/** Exchanges client credentials for a token (grant_type in the query string, as the docs show). */
export async function grantToken(apiUrl: string, clientId: string, clientSecret: string): Promise<string> {
  const response = await call(`${apiUrl}/oauth/token?grant_type=client_credentials`, {
    method: 'POST',
    authorization: basicAuth(clientId, clientSecret),
  });
  if (response.status !== 200) throw new Error(`token request failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.access_token as string;
}

/** A token for the first default deployment (or the one named). */
export async function tokenFor(sim: RunningSimulator, name?: string): Promise<string> {
  if (name === 'central') return grantToken(sim.central.url, sim.central.clientId, sim.central.clientSecret);
  const deployment = name === undefined ? sim.deployments[0]! : sim.deployments.find((d) => d.name === name)!;
  return grantToken(deployment.url, deployment.clientId, deployment.clientSecret);
}

/** Follows `_links.next` from `firstUrl` to the end; returns every page in order. */
export async function walkPages(firstUrl: string, token: string, link: 'next' | 'prev' = 'next'): Promise<any[]> {
  const pages: any[] = [];
  let url: string | undefined = firstUrl;
  while (url !== undefined) {
    const response: JsonResponse = await call(url, { token });
    if (response.status !== 200) throw new Error(`page ${url} answered ${response.status}`);
    pages.push(response.body);
    url = response.body._links[link]?.href;
    if (pages.length > 10_000) throw new Error('paging does not end');
  }
  return pages;
}

export function controlUrl(sim: RunningSimulator, path: string): string {
  return `${sim.url}/__sim${path}`;
}
