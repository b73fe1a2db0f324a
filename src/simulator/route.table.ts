/**
 * Matches a method and path against path templates like `/alarms/{id}/labels/{labelId}`.
 *
 * Contract: `match` returns undefined when no template fits the path (answer 404);
 * a match without a handler means the path exists under other methods (answer 405,
 * `allowed` lists them). `template` is the pattern itself, which statistics count
 * requests by. Parameters are percent-decoded; a malformed escape is kept as given
 * (it then names nothing, so the lookup answers 404) rather than crashing. One
 * trailing slash is tolerated, as Spring does.
 */
import type { Reply } from './json.reply.js';

/** What a handler sees of a request. */
export interface RouteRequest {
  method: string;
  params: Record<string, string>;
  query: URLSearchParams;
  /** `http://host:port` as the client addressed the simulator. */
  origin: string;
  /** The path below the API base (`/alarms/…`), for error bodies. */
  location: string;
  /** The raw body text (read on demand, size-limited). */
  readBody: () => Promise<string>;
}

export type RouteHandler = (request: RouteRequest) => Reply | Promise<Reply>;

interface Entry<H> {
  template: string;
  segments: string[];
  handlers: Map<string, H>;
}

export interface RouteMatch<H> {
  template: string;
  handler: H | undefined;
  params: Record<string, string>;
  allowed: string[];
}

function split(path: string): string[] {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return trimmed.split('/').slice(1);
}

export class RouteTable<H> {
  private readonly entries: Entry<H>[] = [];

  add(method: string, template: string, handler: H): this {
    let entry = this.entries.find((e) => e.template === template);
    if (entry === undefined) {
      entry = { template, segments: split(template), handlers: new Map() };
      this.entries.push(entry);
    }
    entry.handlers.set(method, handler);
    return this;
  }

  match(method: string, path: string): RouteMatch<H> | undefined {
    const segments = split(path);
    for (const entry of this.entries) {
      if (entry.segments.length !== segments.length) continue;
      const params: Record<string, string> = {};
      let fits = true;
      for (let i = 0; i < segments.length && fits; i++) {
        const pattern = entry.segments[i]!;
        const actual = segments[i]!;
        if (pattern.startsWith('{')) {
          if (actual === '') fits = false;
          else params[pattern.slice(1, -1)] = decodeSegment(actual);
        } else {
          fits = pattern === actual;
        }
      }
      if (!fits) continue;
      return { template: entry.template, handler: entry.handlers.get(method), params, allowed: [...entry.handlers.keys()] };
    }
    return undefined;
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
