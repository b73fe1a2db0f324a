/**
 * `/metrics` on a listener of its own (`METRICS_PORT`), so the scrape endpoint can be
 * reachable by Prometheus only, and a scrape never queues behind GraphQL traffic.
 *
 * Contract: GET `/metrics` answers the registry's exposition text; anything else 404.
 * A port that cannot be listened on rejects with a `ListenError` naming `METRICS_PORT`.
 * `stop()` closes the listener and resolves once it is closed.
 */
import http from 'node:http';
import { listenOn } from '../net/port.listener.js';
import type { FacadeMetrics } from './metrics.js';
import type { Logger } from '../log/logger.js';

export interface MetricsServerOptions {
  metrics: FacadeMetrics;
  port: number;
  host: string;
  logger: Logger;
}

export interface RunningMetricsServer {
  /** e.g. `http://127.0.0.1:9464/metrics` */
  url: string;
  stop(): Promise<void>;
}

export async function startMetricsServer({ metrics, port, host, logger }: MetricsServerOptions): Promise<RunningMetricsServer> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Only GET /metrics is served here\n');
      return;
    }
    metrics.text().then(
      (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
      (error: unknown) => {
        logger.error({ err: error }, 'could not collect the metrics');
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('The metrics could not be collected\n');
      },
    );
  });
  const bound = await listenOn(server, { port, host, setting: 'METRICS_PORT', zero: '0 turns the metrics listener off' });
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return {
    url: `http://${shownHost}:${bound}/metrics`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
