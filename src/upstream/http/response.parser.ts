/**
 * Parses an upstream body with a zod schema, or says exactly where it did not fit.
 *
 * Contract: returns the schema's output, or throws `UPSTREAM_INVALID_RESPONSE` naming the
 * deployment, what was being read and the path of the first bad field (also in
 * `details.path`, e.g. `_embedded.alarms[3].timestamp_occured`). Messages carry the rule
 * (zod's description of it), never the value that broke it. `shapeError` makes the same
 * error for bodies read by hand (`anywhere.schemas.ts` reads alarms and events so).
 */
import type { z } from 'zod';
import { FacadeError } from '../../errors/facade.error.js';

export interface ParseContext {
  deployment: string;
  /** What the body is, e.g. `GET /alarms`. */
  what: string;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((segment, index) =>
      typeof segment === 'number' ? `[${segment}]` : `${index === 0 ? '' : '.'}${String(segment)}`,
    )
    .join('');
}

export function parseBody<S extends z.ZodType>(schema: S, body: unknown, context: ParseContext): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw shapeError(context, formatPath(issue.path), issue.message);
}

/** The error for a body that does not fit at `path` (`''` for the body itself), breaking `rule`. */
export function shapeError(context: ParseContext, path: string, rule: string): FacadeError {
  return new FacadeError(
    'UPSTREAM_INVALID_RESPONSE',
    `${context.deployment}: the answer to ${context.what} does not have the expected shape at ${path === '' ? 'its top level' : path}: ${rule}`,
    { deployment: context.deployment, details: { path } },
  );
}
