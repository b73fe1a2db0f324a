/**
 * What a caller sees of a failure.
 *
 * Contract: a `FacadeError` keeps its message and becomes `extensions.code` (plus the
 * deployment and safe details), also when the server refused the request before
 * execution (authentication, permissions, cost: a `GraphQLError` whose `originalError`
 * is the `FacadeError`); GraphQL's own request errors (syntax, validation, bad
 * variables, the query limits) keep Apollo's code; type-graphql's argument validation
 * becomes BAD_USER_INPUT. Anything else is a bug (`isUnexpected`): the caller gets a
 * generic INTERNAL_SERVER_ERROR (the server adds the request's id, and logs the original
 * under the same id). No stack trace ever leaves.
 *
 * With `production`, GraphQL's own messages lose their "Did you mean …?" and the query
 * limits' messages do not name the limit (see `protection/query.limits.ts`).
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { ArgumentValidationError } from 'type-graphql';
import { FacadeError } from '../errors/facade.error.js';
import { hideSuggestions, limitMessage } from '../protection/query.limits.js';

export interface ErrorFormatterOptions {
  /** Hide schema hints (suggestions) and exact limits; default false. */
  production?: boolean;
}

/** The FacadeError behind `error`, if any (a resolver's throw, or a refusal wrapped in a GraphQLError). */
function facadeErrorOf(error: unknown): FacadeError | undefined {
  const unwrapped = unwrapResolverError(error);
  if (unwrapped instanceof FacadeError) return unwrapped;
  if (unwrapped instanceof GraphQLError && unwrapped.originalError instanceof FacadeError) return unwrapped.originalError;
  return undefined;
}

/** Whether a caller would be shown a generic INTERNAL_SERVER_ERROR for `error`: a bug, to be logged. */
export function isUnexpected(error: unknown): boolean {
  if (facadeErrorOf(error) !== undefined || unwrapResolverError(error) instanceof ArgumentValidationError) return false;
  // Apollo's and graphql-js's request errors carry their code (a located error copies its original's).
  const code = error instanceof GraphQLError ? error.extensions['code'] : undefined;
  return typeof code !== 'string' || code === 'INTERNAL_SERVER_ERROR';
}

/** A GraphQL request error (parse, validation, variables) as clients read it. */
export function requestErrorMessage(message: string, code: unknown, production: boolean): string {
  const phase = code === 'GRAPHQL_PARSE_FAILED' ? 'parse' : 'validate';
  const limited = limitMessage(message, phase, !production);
  return production ? hideSuggestions(limited) : limited;
}

export function createErrorFormatter(options: ErrorFormatterOptions = {}) {
  const production = options.production ?? false;
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const base = { message: formatted.message, locations: formatted.locations, path: formatted.path };
    const facadeError = facadeErrorOf(error);
    if (facadeError !== undefined) return { ...base, message: facadeError.message, extensions: facadeError.toExtensions() };
    const unwrapped = unwrapResolverError(error);
    if (unwrapped instanceof ArgumentValidationError) {
      const problems = unwrapped.extensions.validationErrors
        .flatMap((e) => Object.values(e.constraints ?? {}))
        .join('; ');
      return { ...base, message: `Invalid argument: ${problems}`, extensions: { code: 'BAD_USER_INPUT' } };
    }
    const code = formatted.extensions?.['code'];
    if (!isUnexpected(error) && typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') {
      // Apollo's request-level errors (GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, BAD_USER_INPUT, BAD_REQUEST, ...).
      return { ...base, message: requestErrorMessage(formatted.message, code, production), extensions: { code } };
    }
    return { ...base, message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}
