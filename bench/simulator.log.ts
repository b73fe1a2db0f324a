/**
 * The simulator's request log (`GET /__sim/requests`) as the bench cases read it: every
 * USM request in arrival order with the simulator's own timestamp, so upstream rates
 * and poll counts are counted where USM would count them.
 */
import { fetch } from 'undici';

export interface LoggedRequest {
  /** The deployment name, or `central`. */
  target: string;
  method: string;
  path: string;
  /** The raw query string without `?`. */
  query: string;
  /** Epoch ms at the simulator. */
  at: number;
  status: number | 'reset' | null;
}

/** The last request logged so far: pass it as `after` to read only later ones. */
export async function logMark(simulatorUrl: string): Promise<number> {
  const response = await fetch(`${simulatorUrl}/__sim/requests?limit=0`);
  return ((await response.json()) as { next: number }).next - 1;
}

/** Every USM request the simulator logged after `after`. */
export async function requestsAfter(simulatorUrl: string, after: number): Promise<LoggedRequest[]> {
  const requests: LoggedRequest[] = [];
  let cursor = after;
  for (;;) {
    const response = await fetch(`${simulatorUrl}/__sim/requests?after=${cursor}&limit=10000`);
    const page = (await response.json()) as { next: number; requests: LoggedRequest[] };
    requests.push(...page.requests);
    if (page.requests.length < 10000) return requests;
    cursor = page.next - 1;
  }
}
