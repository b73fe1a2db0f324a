/**
 * What an upstream client tells about each request it sends, for metrics and traces
 * (`src/observability/` implements it; the client knows nothing of either).
 *
 * Contract: `send` wraps every attempt the client sends, the token exchange included,
 * after its budget wait: it must call `attempt.send()` once and return (or throw) what
 * that does, and may run it inside a span. `status` is the HTTP status, or undefined
 * when no answer came (a network failure, a timeout). An `UpstreamAttempt` never holds a
 * token, a secret, a query string or a raw id: `endpoint` is the path's template.
 */
import type { WorkClass } from '../upstream.call.js';

export interface UpstreamAttempt {
  /** The deployment name, or `central`. */
  deployment: string;
  method: string;
  /** The path as a template: `/alarms/{id}`, `/alarms/{id}/labels/{label}`, `/oauth/token`. */
  endpoint: string;
  /** 1 for the first attempt of a request, 2 for its first retry, … */
  attempt: number;
  /** Time this attempt waited for the rate budget, ms. */
  budgetWaitMs: number;
  workClass: WorkClass;
}

export interface UpstreamObserver {
  send<T extends { status: number }>(attempt: UpstreamAttempt, send: () => Promise<T>): Promise<T>;
}

/** Observers one after the other, the first outermost. */
export function composeObservers(observers: readonly UpstreamObserver[]): UpstreamObserver | undefined {
  if (observers.length === 0) return undefined;
  if (observers.length === 1) return observers[0];
  return {
    send: (attempt, send) => observers.reduceRight<typeof send>((inner, observer) => () => observer.send(attempt, inner), send)(),
  };
}

/** A USM path as a template, so that no id reaches a label: `/alarms/5f0c…/labels/x` → `/alarms/{id}/labels/{label}`. */
export function endpointOf(path: string): string {
  return path.replace(/^\/(alarms|events)\/[^/]+/, '/$1/{id}').replace(/^(\/alarms\/\{id\}\/labels)\/[^/]+$/, '$1/{label}');
}
