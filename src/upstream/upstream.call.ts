/**
 * Who an upstream request is for, how urgent it is and until when it is wanted: what
 * the rate budget orders its queue by and what bounds every wait of the request.
 *
 * Contract: an `UpstreamCall` is made once per unit of work (a GraphQL request, one
 * poll of a live query, one background task) and handed to every upstream request
 * that work makes. `caller` names whose fair share the request draws on (an API key
 * id, or `facade:<task>` for the facade's own work); `workClass` orders classes in
 * strict priority; `deadline` (epoch ms on the upstream clock) bounds the wait for
 * the budget, every attempt and every backoff together. A request without a call is
 * the facade's own, interactive and without a deadline (`FACADE_CALL`).
 *
 * An operation's progress is kept beside its call, not in it, so every place that makes
 * a call gets it: `expectCalls(call, n)` records the cost estimate (how many requests the
 * whole operation should need; default 1), and the rate budget marks the call under way
 * (`markUnderWay`) when it grants the call's first request, on any deployment. The
 * budget serves the requests of an operation under way before the first requests of
 * operations that have not started, and admits a new operation only when all of its
 * expected requests fit (`rate.budget.ts`). `FACADE_CALL` is shared by unrelated work
 * and is never under way.
 */

/** Served in this order when the budget is short; a lower class never holds back a higher one. */
export const WORK_CLASSES = ['INTERACTIVE', 'LIVE', 'BACKGROUND'] as const;

export type WorkClass = (typeof WORK_CLASSES)[number];

export interface UpstreamCall {
  /** Whose share of the quota the request draws on. */
  readonly caller: string;
  readonly workClass: WorkClass;
  /** Epoch ms past which no answer is wanted; `Infinity` for none. */
  readonly deadline: number;
  /**
   * Counts every request sent upstream for this work, each attempt once (token requests
   * are the credential's, not the work's, and are not counted): what `extensions.cost`
   * reports as `actualUpstreamCalls`. Default none.
   */
  readonly sent?: SentCount;
}

/** A running count of upstream requests sent for one `UpstreamCall`. */
export interface SentCount {
  count: number;
}

export const FACADE_CALL: UpstreamCall = Object.freeze({ caller: 'facade', workClass: 'INTERACTIVE', deadline: Number.POSITIVE_INFINITY });

/** The priority of a class: 0 is served first. */
export function tierOf(workClass: WorkClass): number {
  return WORK_CLASSES.indexOf(workClass);
}

interface OperationProgress {
  underWay: boolean;
  expectedCalls: number;
}

/** Per call: kept in a WeakMap so a finished operation's entry goes with its call. */
const progress = new WeakMap<UpstreamCall, OperationProgress>();

function progressOf(call: UpstreamCall): OperationProgress {
  let entry = progress.get(call);
  if (entry === undefined) progress.set(call, (entry = { underWay: false, expectedCalls: 1 }));
  return entry;
}

/** Records that the work of `call` is predicted to send `calls` upstream requests in all (the cost estimate). */
export function expectCalls(call: UpstreamCall, calls: number): void {
  if (call === FACADE_CALL) return;
  if (!Number.isInteger(calls) || calls < 0) throw new RangeError(`expectCalls: calls must be a whole number ≥ 0; got ${calls}`);
  progressOf(call).expectedCalls = Math.max(1, calls);
}

/** How many upstream requests the work of `call` is expected to send in all: 1 unless `expectCalls` said otherwise. */
export function expectedCallsOf(call: UpstreamCall): number {
  return progress.get(call)?.expectedCalls ?? 1;
}

/** Marks `call` as having been granted a request; true when it was not under way before. */
export function markUnderWay(call: UpstreamCall): boolean {
  if (call === FACADE_CALL) return false;
  const entry = progressOf(call);
  if (entry.underWay) return false;
  entry.underWay = true;
  return true;
}

/** Whether a request of `call` has been granted already: its next requests continue an operation under way. */
export function isUnderWay(call: UpstreamCall): boolean {
  return progress.get(call)?.underWay ?? false;
}
