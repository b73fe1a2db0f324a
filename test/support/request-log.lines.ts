/** The request log's lines (`graphql request`) a log capture holds, from `from` characters on, parsed. */
import { REQUEST_LOG_MESSAGE } from '../../src/observability/request.log.js';
import type { LogCapture } from '../upstream/credential.fixture.js';

export function requestLines(logs: LogCapture, from = 0): Array<Record<string, unknown>> {
  return logs
    .text()
    .slice(from)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line['msg'] === REQUEST_LOG_MESSAGE);
}
