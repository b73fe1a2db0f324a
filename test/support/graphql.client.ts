/**
 * A minimal GraphQL-over-HTTP client for tests: posts one operation and returns the
 * HTTP status with the parsed body, so tests can assert both. It asks for
 * `application/graphql-response+json` alone, the media type whose refusals carry their
 * own status (401, 403, 400, 429); what callers accepting `application/json` get (200
 * with the same body) is `test/server/refusal.status.test.ts`'s.
 */
export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  body: {
    data?: T | null;
    errors?: Array<{ message: string; path?: unknown[]; extensions?: Record<string, unknown> }>;
    extensions?: Record<string, unknown>;
  };
}

export async function postGraphQL<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as GraphQLResponse<T>['body'] };
}
