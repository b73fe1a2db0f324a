/**
 * What the GraphQL paths accept as a request body, checked before GraphQL sees it.
 *
 * Contract: a request that is not a GraphQL request (a POST whose body is not JSON,
 * malformed or empty JSON, a body over `bodyLimit`, an unsupported encoding, a body that
 * is not `{query, variables?, operationName?, extensions?}`) gets a 4xx with a
 * GraphQL-shaped JSON error (`BAD_REQUEST`) saying what one looks like, never a 5xx and
 * never Apollo's plain text. `jsonBody` reads the body (JSON only); `graphqlRequestOnly`
 * checks its shape (an array is left to Apollo, which refuses batches).
 */
import express from 'express';

/** Reads a JSON body of at most `bodyLimit` (default `1mb`), refusing anything else as a request error. */
export function jsonBody(bodyLimit: string): Array<express.RequestHandler | express.ErrorRequestHandler> {
  return [jsonBodyOnly, express.json({ limit: bodyLimit, strict: false }), bodyErrors(bodyLimit)];
}

/** A JSON body the GraphQL-over-HTTP way, for requests refused before GraphQL sees them. */
function sendRequestError(res: express.Response, status: number, message: string): void {
  res.status(status).type('application/json').send(JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] }));
}

/** body-parser's failures (bad JSON, too large, unsupported encoding) as GraphQL request errors. */
function bodyErrors(bodyLimit: string): express.ErrorRequestHandler {
  return (error: { type?: string; status?: number }, _req, res, next) => {
    if (res.headersSent) return next(error);
    switch (error.type) {
      case 'entity.parse.failed':
        return sendRequestError(res, 400, 'The body is not valid JSON: send {"query": "…", "variables": {…}, "operationName": "…"}');
      case 'entity.too.large':
        return sendRequestError(res, 413, `The body is larger than ${bodyLimit}: send a shorter query, or the variables in several requests`);
      case 'encoding.unsupported':
      case 'charset.unsupported':
        return sendRequestError(res, 415, 'The body must be JSON in UTF-8, uncompressed or gzip/deflate/br');
      default:
        return sendRequestError(res, error.status !== undefined && error.status < 500 ? error.status : 400, 'The request body could not be read');
    }
  };
}

/** Refuses a POST whose body is not JSON, before body-parser skips it and Apollo answers in plain text. */
function jsonBodyOnly(req: express.Request, res: express.Response, next: express.NextFunction): void {
  if (req.method !== 'POST') return next();
  const type = req.headers['content-type'];
  if (type === undefined || !/^application\/json\s*(;|$)/i.test(type)) {
    return sendRequestError(
      res,
      415,
      `A POST must have Content-Type: application/json${type === undefined ? '' : `, not ${JSON.stringify(type.slice(0, 80))}`}`,
    );
  }
  const length = req.headers['content-length'];
  if (length === '0') return sendRequestError(res, 400, 'The body is empty: send {"query": "…"} as JSON');
  next();
}

/**
 * Refuses a parsed body that is no GraphQL request, saying what one looks like (Apollo
 * would answer some of these in plain text). An array is left to Apollo, which refuses
 * batches.
 */
export function graphqlRequestOnly(req: express.Request, res: express.Response, next: express.NextFunction): void {
  if (req.method !== 'POST' || Array.isArray(req.body)) return next();
  const body: unknown = req.body;
  const problem =
    body === null || typeof body !== 'object'
      ? 'The body must be a JSON object: {"query": "…", "variables": {…}, "operationName": "…"}'
      : !hasQueryOrHash(body as Record<string, unknown>)
        ? '"query" must be the GraphQL document, as a non-empty string (or send its hash alone in extensions.persistedQuery.sha256Hash)'
        : !isOptional((body as Record<string, unknown>)['variables'], 'object')
          ? '"variables" must be a JSON object of variable values, or null'
          : !isOptional((body as Record<string, unknown>)['operationName'], 'string')
            ? '"operationName" must be the name of an operation in the document, as a string, or null'
            : !isOptional((body as Record<string, unknown>)['extensions'], 'object')
              ? '"extensions" must be a JSON object, or null'
              : undefined;
  if (problem === undefined) return next();
  sendRequestError(res, 400, problem);
}

/** A document's text, or an automatic persisted query's hash alone (Apollo's APQ protocol). */
function hasQueryOrHash(body: Record<string, unknown>): boolean {
  const query = body['query'];
  if (typeof query === 'string') return query !== '';
  if (query !== undefined && query !== null) return false;
  const persisted = (body['extensions'] as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery;
  return typeof persisted?.sha256Hash === 'string';
}

function isOptional(value: unknown, type: 'object' | 'string'): boolean {
  if (value === undefined || value === null) return true;
  return type === 'object' ? typeof value === 'object' && !Array.isArray(value) : typeof value === 'string';
}

