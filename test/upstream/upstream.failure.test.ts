import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  failureForNetworkError,
  failureForStatus,
  isOutage,
  isTransient,
  parseRetryAfter,
} from '../../src/upstream/http/upstream.failure.js';

const request = { deployment: 'acme-east', method: 'GET', path: '/alarms' };

describe('upstream failures', () => {
  it('maps each upstream status to its code, and says which are retried and which count against the breaker', () => {
    const table = [400, 401, 403, 404, 408, 409, 429, 500, 502, 503, 504, 302].map((status) => {
      const error = failureForStatus(status, '{"result":"error","location":"/alarms","error":"bad"}', undefined, request);
      return [status, error.code, isTransient(error), isOutage(error)];
    });
    assert.deepEqual(table, [
      [400, 'BAD_USER_INPUT', false, false],
      [401, 'UPSTREAM_AUTH_FAILED', false, false],
      [403, 'UPSTREAM_AUTH_FAILED', false, false],
      [404, 'NOT_FOUND', false, false],
      [408, 'UPSTREAM_TIMEOUT', false, true],
      [409, 'BAD_USER_INPUT', false, false],
      [429, 'UPSTREAM_RATE_LIMITED', true, false],
      [500, 'UPSTREAM_UNAVAILABLE', false, true],
      [502, 'UPSTREAM_UNAVAILABLE', true, true],
      [503, 'UPSTREAM_UNAVAILABLE', true, true],
      [504, 'UPSTREAM_UNAVAILABLE', true, true],
      [302, 'UPSTREAM_INVALID_RESPONSE', false, false],
    ]);
  });

  it('names the deployment and the request, and passes on the reason only for a request called bad', () => {
    const bad = failureForStatus(400, '{"error":"size must be an integer from 1 to 500"}', undefined, request);
    assert.equal(bad.message, 'acme-east refused GET /alarms as invalid (400): size must be an integer from 1 to 500');
    assert.deepEqual(bad.toExtensions(), { code: 'BAD_USER_INPUT', deployment: 'acme-east', upstreamStatus: 400 });
    const limited = failureForStatus(429, '', 2000, request);
    assert.deepEqual(limited.toExtensions(), {
      code: 'UPSTREAM_RATE_LIMITED',
      deployment: 'acme-east',
      upstreamStatus: 429,
      retryAfterMs: 2000,
    });
  });

  it('tells timeouts from unreachable upstreams', () => {
    const timeout = failureForNetworkError(Object.assign(new Error('x'), { code: 'UND_ERR_HEADERS_TIMEOUT' }), false, request);
    assert.equal(timeout.code, 'UPSTREAM_TIMEOUT');
    const refused = failureForNetworkError(Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' }), false, request);
    assert.equal(refused.code, 'UPSTREAM_UNAVAILABLE');
    assert.equal(refused.message, 'acme-east is unreachable: GET /alarms failed (ECONNREFUSED)');
    assert.ok(isTransient(timeout) && isTransient(refused));
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-10-01T00:00:00Z');
    assert.equal(parseRetryAfter('3', now), 3000);
    assert.equal(parseRetryAfter('Thu, 01 Oct 2026 00:00:05 GMT', now), 5000);
    assert.equal(parseRetryAfter(undefined, now), undefined);
    assert.equal(parseRetryAfter('soon', now), undefined);
  });
});
