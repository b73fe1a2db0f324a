/**
 * Where a caller puts its API key: `Authorization: Bearer <key>` or `X-API-Key: <key>`
 * on HTTP (and on the WebSocket upgrade), or in the graphql-ws `connection_init`
 * payload as `Authorization` (`Bearer <key>` or the bare key), `authorization`,
 * `apiKey` or `x-api-key`. Returns the key text, unchecked, or undefined.
 */
import type { ContextSource } from './operation.gate.js';

const BEARER = /^\s*Bearer\s+(\S+)\s*$/i;

function fromValue(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  return BEARER.exec(value)?.[1] ?? value.trim();
}

export function presentedKey(source: ContextSource): string | undefined {
  const params = source.connectionParams ?? {};
  for (const name of ['Authorization', 'authorization', 'apiKey', 'x-api-key', 'X-API-Key']) {
    const key = fromValue(params[name]);
    if (key !== undefined) return key;
  }
  const authorization = source.headers.authorization;
  if (authorization !== undefined) return fromValue(authorization);
  const header = source.headers['x-api-key'];
  return fromValue(Array.isArray(header) ? header[0] : header);
}
