/**
 * The GraphQL playground: GraphiQL served entirely from this process, so analysts can
 * explore the schema with no internet (Apollo's default landing page loads from a CDN).
 *
 * Contract: `GET /graphql` from a browser (Accept: text/html, no `query` parameter)
 * gets the GraphiQL page; its scripts and styles come from `/playground/*`, served
 * from the installed npm packages (graphiql 3, React 18, graphql-ws), never a CDN.
 * Queries go over HTTP, subscriptions over graphql-ws on the same path; the headers
 * the user enters in GraphiQL (for example `Authorization: Bearer <key>`) are sent on
 * both, on WebSocket in the `connection_init` payload.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Express, Request } from 'express';

const require = createRequire(import.meta.url);

/** A file inside an installed package (some packages do not export their UMD builds). */
function packageFile(name: string, ...segments: string[]): string {
  return path.join(path.dirname(require.resolve(`${name}/package.json`)), ...segments);
}

/** The files the page loads, by the name they are served under. */
const ASSETS: Record<string, string> = {
  'react.js': packageFile('react', 'umd', 'react.production.min.js'),
  'react-dom.js': packageFile('react-dom', 'umd', 'react-dom.production.min.js'),
  'graphiql.js': packageFile('graphiql', 'graphiql.min.js'),
  'graphiql.css': packageFile('graphiql', 'graphiql.min.css'),
  'graphql-ws.js': packageFile('graphql-ws', 'umd', 'graphql-ws.min.js'),
};

const PAGE = (graphqlPath: string) => `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <title>USM GraphQL facade</title>
  <link rel="stylesheet" href="/playground/graphiql.css" />
  <style>body { margin: 0; height: 100vh; } #graphiql { height: 100vh; }</style>
</head>
<body>
  <div id="graphiql">Loading the playground…</div>
  <script src="/playground/react.js"></script>
  <script src="/playground/react-dom.js"></script>
  <script src="/playground/graphql-ws.js"></script>
  <script src="/playground/graphiql.js"></script>
  <script>
    const endpoint = new URL(${JSON.stringify(graphqlPath)}, location.href);
    const wsEndpoint = endpoint.href.replace(/^http/, 'ws');
    const storedHeaders = () => {
      try { return JSON.parse(localStorage.getItem('graphiql:headers') || '{}'); } catch { return {}; }
    };
    const wsClient = graphqlWs.createClient({ url: wsEndpoint, lazy: true, connectionParams: storedHeaders });
    const fetcher = GraphiQL.createFetcher({ url: endpoint.href, wsClient });
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, {
        fetcher,
        defaultHeaders: JSON.stringify({ Authorization: 'Bearer <your facade API key>' }, null, 2),
        defaultQuery: '{\\n  deployments {\\n    name\\n    displayName\\n    hasCredentials\\n  }\\n}\\n',
        shouldPersistHeaders: true,
      }),
    );
  </script>
</body>
</html>
`;

function wantsPage(req: Request): boolean {
  return req.method === 'GET' && req.query['query'] === undefined && req.accepts(['json', 'html']) === 'html';
}

/** Mounts the playground page on `graphqlPath` (before the GraphQL handler) and its assets on `/playground`. */
export function mountPlayground(app: Express, graphqlPath: string): void {
  const page = PAGE(graphqlPath);
  app.get(graphqlPath, (req, res, next) => {
    if (!wantsPage(req)) return next();
    res.type('html').set('cache-control', 'no-cache').send(page);
  });
  app.get('/playground/:asset', (req, res) => {
    const file = ASSETS[req.params.asset];
    if (file === undefined) {
      res.status(404).json({ error: `no such playground asset; known: ${Object.keys(ASSETS).join(', ')}` });
      return;
    }
    res.sendFile(file, { maxAge: '1d', immutable: true });
  });
}
