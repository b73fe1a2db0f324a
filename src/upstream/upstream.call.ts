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
