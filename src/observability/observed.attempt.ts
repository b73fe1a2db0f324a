/**
 * One upstream attempt as the upstream clients describe it (`UpstreamAttempt`), declared
 * here by shape so that observability imports nothing of the upstream layer. Metrics and
 * traces both receive it.
 */
export interface ObservedAttempt {
  deployment: string;
  method: string;
  endpoint: string;
  attempt: number;
  budgetWaitMs: number;
  workClass: string;
}
