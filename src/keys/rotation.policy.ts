/**
 * Rotation policies of API keys, and the ISO-8601 durations they are written in.
 *
 * Contract: `parseIsoDuration` reads `PnW`, `PnD` and `PTnHnMnS` parts (seconds may be
 * fractional) into milliseconds and refuses years and months, which have no fixed
 * length. `validateRotationPolicy` accepts an interval of at least one day and a grace
 * period shorter than the interval (zero allowed); an interval of exactly one day is
 * accepted with a warning, as operators' docs advise against it. Every refusal is
 * `BAD_USER_INPUT` naming the field, what is allowed, and the recommended `P30D`
 * interval with `P15D` grace.
 */
import { FacadeError } from '../errors/facade.error.js';

export interface RotationPolicy {
  /** Time from one rotation to the next. */
  intervalMs: number;
  /** How long the previous secret keeps working after a rotation. */
  gracePeriodMs: number;
}

export interface RotationPolicyInput {
  /** ISO-8601 duration, e.g. `P30D`. */
  interval: string;
  /** ISO-8601 duration, e.g. `P15D`; `PT0S` ends the previous secret at rotation. */
  gracePeriod: string;
}

export interface ValidatedRotationPolicy {
  policy: RotationPolicy;
  /** Accepted but inadvisable choices, for the answer to show. */
  warnings: string[];
}

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
const MIN_INTERVAL_MS = DAY_MS;
/** Ten years: beyond it a schedule means "never"; set no policy instead. */
const MAX_INTERVAL_MS = 3650 * DAY_MS;
/** Longest grace period of a manual rotation on a key without a policy. */
const MAX_GRACE_PERIOD_MS = 365 * DAY_MS;
const RECOMMENDED = 'an interval of P30D with a grace period of P15D is recommended';

const DURATION = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d{1,3})?)S)?)?$/;

function invalid(field: string, message: string): FacadeError {
  return new FacadeError('BAD_USER_INPUT', message, { details: { field } });
}

/**
 * Milliseconds of an ISO-8601 duration such as `P30D`, `PT12H` or `P1DT6H`.
 * @param field the input field, named in the error.
 */
export function parseIsoDuration(text: string, field = 'duration'): number {
  const shown = JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
  const match = DURATION.exec(text);
  if (match === null || text === 'P' || text.endsWith('T')) {
    const calendar = /^P(?:\d+Y)?(?:\d+M)?/.exec(text)?.[0] ?? '';
    const reason = /[YM]/.test(calendar)
      ? 'years and months have no fixed length; use days, e.g. P30D'
      : 'use weeks, days, hours, minutes and seconds, e.g. P30D, PT12H or P1DT6H';
    throw invalid(field, `\`${field}\` ${shown} is not an ISO-8601 duration the facade accepts: ${reason}.`);
  }
  const [, weeks, days, hours, minutes, seconds] = match;
  const total =
    Number(weeks ?? 0) * 7 * DAY_MS +
    Number(days ?? 0) * DAY_MS +
    Number(hours ?? 0) * HOUR_MS +
    Number(minutes ?? 0) * MINUTE_MS +
    Math.round(Number((seconds ?? '0').replace(',', '.')) * SECOND_MS);
  if (!Number.isSafeInteger(total)) throw invalid(field, `\`${field}\` ${shown} is too long.`);
  return total;
}

/** The ISO-8601 form of a duration in milliseconds, in days and time parts: `P30D`, `PT12H`, `P1DT0.5S`. */
export function formatIsoDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new Error(`formatIsoDuration needs a whole, non-negative number of ms; got ${ms}`);
  }
  if (ms === 0) return 'PT0S';
  const days = Math.floor(ms / DAY_MS);
  let rest = ms % DAY_MS;
  const hours = Math.floor(rest / HOUR_MS);
  rest %= HOUR_MS;
  const minutes = Math.floor(rest / MINUTE_MS);
  rest %= MINUTE_MS;
  const seconds = rest / SECOND_MS;
  const time = `${hours > 0 ? `${hours}H` : ''}${minutes > 0 ? `${minutes}M` : ''}${seconds > 0 ? `${seconds}S` : ''}`;
  return `P${days > 0 ? `${days}D` : ''}${time === '' ? '' : `T${time}`}`;
}

/** Checks a policy given as ISO-8601 durations; throws BAD_USER_INPUT saying what is allowed. */
export function validateRotationPolicy(input: RotationPolicyInput): ValidatedRotationPolicy {
  const intervalMs = parseIsoDuration(input.interval, 'interval');
  const gracePeriodMs = parseIsoDuration(input.gracePeriod, 'gracePeriod');
  if (intervalMs < MIN_INTERVAL_MS) {
    throw invalid(
      'interval',
      `Rotation interval ${input.interval} is shorter than one day (P1D), the shortest allowed; ${RECOMMENDED}.`,
    );
  }
  if (intervalMs > MAX_INTERVAL_MS) {
    throw invalid(
      'interval',
      `Rotation interval ${input.interval} is longer than ten years (P3650D), the longest allowed; to never rotate, ` +
        `set no rotation policy; otherwise ${RECOMMENDED}.`,
    );
  }
  if (gracePeriodMs >= intervalMs) {
    throw invalid(
      'gracePeriod',
      `Grace period ${input.gracePeriod} must be shorter than the rotation interval ${input.interval}, so the previous ` +
        `secret stops working before the next rotation; ${RECOMMENDED}.`,
    );
  }
  const warnings =
    intervalMs === MIN_INTERVAL_MS
      ? [
          `A rotation interval of one day (P1D) is allowed but not recommended: every holder must pick up a new key ` +
            `each day; ${RECOMMENDED}.`,
        ]
      : [];
  return { policy: { intervalMs, gracePeriodMs }, warnings };
}

/**
 * Checks the grace period of a manual rotation: from zero up to P365D, and shorter than
 * the key's interval when it has a policy.
 */
export function validateGracePeriod(gracePeriodMs: number, policy: RotationPolicy | null): void {
  const whole = Number.isSafeInteger(gracePeriodMs) && gracePeriodMs >= 0;
  const shown = whole ? formatIsoDuration(gracePeriodMs) : String(gracePeriodMs);
  if (!whole || gracePeriodMs > MAX_GRACE_PERIOD_MS) {
    throw invalid('gracePeriod', `Grace period ${shown} must be between PT0S and P365D; P15D is the usual choice.`);
  }
  if (policy !== null && gracePeriodMs >= policy.intervalMs) {
    throw invalid(
      'gracePeriod',
      `Grace period ${shown} must be shorter than this key's rotation interval ${formatIsoDuration(policy.intervalMs)}; ` +
        `${RECOMMENDED}.`,
    );
  }
}
