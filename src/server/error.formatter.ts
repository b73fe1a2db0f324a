/**
 * What a caller sees of a failure.
 *
 * Contract: a `FacadeError` keeps its message and becomes `extensions.code` (plus the
 * deployment and safe details), also when the server refused the request before
 * execution (authentication, permissions: a `GraphQLError` whose `originalError` is the
 * `FacadeError`); GraphQL's own request errors (syntax, validation,
 * bad variables) keep Apollo's code; type-graphql's argument validation becomes
 * BAD_USER_INPUT. Anything else is a bug: the caller gets a generic
 * INTERNAL_SERVER_ERROR and the log gets the original. No stack trace ever leaves.
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { ArgumentValidationError } from 'type-graphql';
import { FacadeError } from '../errors/facade.error.js';
import type { Logger } from '../log/logger.js';

export function createErrorFormatter(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const unwrapped = unwrapResolverError(error);
    const original =
      unwrapped instanceof GraphQLError && unwrapped.originalError instanceof FacadeError ? unwrapped.originalError : unwrapped;
    const base = { message: formatted.message, locations: formatted.locations, path: formatted.path };
    if (original instanceof FacadeError) {
      return { ...base, message: original.message, extensions: original.toExtensions() };
    }
    if (original instanceof ArgumentValidationError) {
      const problems = original.extensions.validationErrors
        .flatMap((e) => Object.values(e.constraints ?? {}))
        .join('; ');
      return { ...base, message: `Invalid argument: ${problems}`, extensions: { code: 'BAD_USER_INPUT' } };
    }
    const code = formatted.extensions?.['code'];
    if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') {
      // Apollo's request-level errors (GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, BAD_USER_INPUT, ...).
      return { ...base, extensions: { code } };
    }
    logger.error({ err: original, path: formatted.path }, 'unexpected error while resolving');
    return { ...base, message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}
