/**
 * Whether this replica can serve (`/readyz`): its store answers. Upstream trouble is
 * reported, not a reason to stop serving: every replica shares it, and cached reads still
 * answer. The checks are JSON for operators and never carry a secret.
 */
export interface ReadinessSources {
  /** The backplane's kind (`memory`, `redis`) and whether it answers now. */
  store: { kind: string; ping(): Promise<boolean> };
  /** Each upstream's breaker and credential state. */
  upstreams(): ReadonlyArray<{ upstream: string; breaker: unknown; credential: unknown }>;
}

export function readinessCheck(sources: ReadinessSources): () => Promise<{ ready: boolean; checks: Record<string, unknown> }> {
  return async () => {
    const reachable = await sources.store.ping();
    return {
      ready: reachable,
      checks: {
        config: 'loaded',
        store: { kind: sources.store.kind, reachable },
        upstreams: sources.upstreams().map(({ upstream, breaker, credential }) => ({ upstream, breaker, credential })),
      },
    };
  };
}
