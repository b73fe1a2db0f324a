/**
 * Faults an operator turns on to see how a client copes: latency, error statuses,
 * dropped connections, a dead token endpoint, `Retry-After` on 429s.
 *
 * Contract: faults apply to the USM APIs only, never to `/__sim/`. Settings are kept
 * per deployment (`central` included) and for all (`*`); a deployment's own setting
 * wins field by field over the `*` one. `POST` merges into what is set (a field set
 * to null is cleared), `clear()` removes everything. `errorStatus` alone fails every
 * request; `errorRate` alone fails with 500. Random rolls come from a seeded stream,
 * drawn only when a rate is set, so a run with the same seed and the same requests
 * fails the same requests.
 */
import { HttpProblem } from './json.reply.js';
import type { SeededRandom } from './seeded.random.js';

export interface FaultSpec {
  latencyMs?: number;
  errorStatus?: number;
  errorRate?: number;
  resetRate?: number;
  tokenEndpointDown?: boolean;
  retryAfterSeconds?: number;
}

/** A change to one setting: a value sets the field, null clears it. */
export type FaultPatch = { [K in keyof FaultSpec]?: FaultSpec[K] | null };

export type FaultAction =
  | { kind: 'none' }
  | { kind: 'reset' }
  | { kind: 'error'; status: number }
  | { kind: 'token-endpoint-down' };

export interface FaultDecision {
  latencyMs: number;
  action: FaultAction;
  /** Send `Retry-After` with this many seconds on 429s, when set. */
  retryAfterSeconds: number | undefined;
}

export const ALL_TARGETS = '*';

const integerIn = (min: number, max: number, what = 'an integer') => (v: unknown) =>
  Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? undefined : `${what} from ${min} to ${max}`;
const fraction = (v: unknown) => (typeof v === 'number' && v >= 0 && v <= 1 ? undefined : 'a number from 0 to 1');

/** Each field's check: undefined when fine, else what it must be. */
const FIELDS: Record<keyof FaultSpec, (value: unknown) => string | undefined> = {
  latencyMs: integerIn(0, 60_000),
  errorStatus: integerIn(400, 599, 'an integer HTTP status'),
  errorRate: fraction,
  resetRate: fraction,
  tokenEndpointDown: (v) => (typeof v === 'boolean' ? undefined : 'true or false'),
  retryAfterSeconds: integerIn(0, 86_400),
};

/** Validates the fault fields of a control request body (other keys are the caller's). */
export function parseFaultPatch(body: Record<string, unknown>): FaultPatch {
  const patch: Record<string, unknown> = {};
  for (const [name, problem] of Object.entries(FIELDS)) {
    const value = body[name];
    if (value === undefined) continue;
    if (value !== null) {
      const wrong = problem(value);
      if (wrong !== undefined) {
        throw new HttpProblem(400, `${name} must be ${wrong} (or null to clear it); got ${JSON.stringify(value)}`);
      }
    }
    patch[name] = value;
  }
  return patch as FaultPatch;
}

export class FaultInjector {
  private readonly settings = new Map<string, FaultSpec>();

  constructor(private readonly random: SeededRandom) {}

  /** Merges `patch` into the setting of `target` (`*` for all). */
  apply(target: string, patch: FaultPatch): void {
    const next: Record<string, unknown> = { ...this.settings.get(target) };
    for (const [name, value] of Object.entries(patch)) {
      if (value === null) delete next[name];
      else next[name] = value;
    }
    if (Object.keys(next).length === 0) this.settings.delete(target);
    else this.settings.set(target, next as FaultSpec);
  }

  clear(): void {
    this.settings.clear();
  }

  active(): Record<string, FaultSpec> {
    return Object.fromEntries(this.settings);
  }

  decide(target: string, tokenEndpoint: boolean): FaultDecision {
    if (this.settings.size === 0) return { latencyMs: 0, action: { kind: 'none' }, retryAfterSeconds: undefined };
    const spec: FaultSpec = { ...this.settings.get(ALL_TARGETS), ...this.settings.get(target) };
    const decision: FaultDecision = {
      latencyMs: spec.latencyMs ?? 0,
      action: { kind: 'none' },
      retryAfterSeconds: spec.retryAfterSeconds,
    };
    const resetRate = spec.resetRate ?? 0;
    const errorRate = spec.errorRate ?? (spec.errorStatus !== undefined ? 1 : 0);
    if (resetRate > 0 && this.random.next() < resetRate) {
      decision.action = { kind: 'reset' };
    } else if (errorRate > 0 && this.random.next() < errorRate) {
      decision.action = { kind: 'error', status: spec.errorStatus ?? 500 };
    } else if (tokenEndpoint && spec.tokenEndpointDown === true) {
      decision.action = { kind: 'token-endpoint-down' };
    }
    return decision;
  }
}
