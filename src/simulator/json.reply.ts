/**
 * What a simulator handler answers, before it touches the socket.
 *
 * Contract: handlers return a `Reply` (status, JSON text or none, extra headers) or
 * throw `HttpProblem` for a client mistake; the server turns both into a response in
 * one place, so statistics and logs see every status. Error bodies are the vendor's
 * `{result:"error", location, error}` (samples/error-401.json), where `location` is
 * the path below the API base, as in the sample.
 */

export interface Reply {
  status: number;
  /** JSON text or its UTF-8 bytes; absent for bodiless answers (204, label writes). */
  body?: string | Buffer;
  headers?: Record<string, string>;
}

/** A client mistake with the status and message to answer it with. */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function jsonReply(status: number, value: unknown): Reply {
  return { status, body: JSON.stringify(value) };
}

export function rawJsonReply(status: number, json: string | Buffer): Reply {
  return { status, body: json };
}

export function errorReply(status: number, location: string, error: string, headers?: Record<string, string>): Reply {
  return { status, body: JSON.stringify({ result: 'error', location, error }), headers };
}
