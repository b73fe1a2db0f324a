/**
 * The GraphQL playground: GraphiQL served entirely from this process, so analysts can
 * explore the schema on a network that reaches no CDN (Apollo's landing page loads
 * from one).
 *
 * Contract:
 * - `GET /graphql` from a browser (Accept: text/html, no `query` parameter) gets the
 *   page. Everything it loads comes from `/playground/*`: GraphiQL 3, React 18 and
 *   graphql-ws from the installed npm packages, the page's own script
 *   (`playground/playground.js` in this checkout) and the example operations
 *   (`operations/*.graphql`, the files the README quotes and codegen types). A
 *   Content-Security-Policy of `'self'` makes the browser refuse anything else.
 * - The page asks for a facade API key before it loads the schema, checks it with a
 *   `viewer` query, keeps it in the tab's session storage and sends it as
 *   `Authorization: Bearer <key>` on every HTTP request and in `connection_init` on
 *   WebSocket, where subscriptions run.
 * - `/playground/examples.json` needs no key: it holds the documents of this checkout,
 *   not data.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Express, Request } from 'express';
import { Kind, parse, type OperationDefinitionNode, type TypeNode } from 'graphql';
import { PACKAGE_ROOT } from '../config/package.root.js';

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
  'playground.js': path.join(PACKAGE_ROOT, 'playground', 'playground.js'),
  'playground.css': path.join(PACKAGE_ROOT, 'playground', 'playground.css'),
};

/** The example operations offered in the page's "Examples" pane. */
export const OPERATIONS_DIR = path.join(PACKAGE_ROOT, 'operations');

/** One example operation as the page receives it. */
export interface PlaygroundExample {
  /** From the file name: `alarms-by-priority.graphql` → "Alarms by priority". */
  title: string;
  /** The file's leading `#` comment. */
  description: string;
  operationName: string;
  operationType: 'query' | 'mutation' | 'subscription';
  /** The document as written in the file, comment included. */
  query: string;
  /** JSON text for the variables editor: a placeholder for each required variable without a default. */
  variables: string;
}

export interface PlaygroundOptions {
  /** Where the example operations are read from, once at mount. Default: `OPERATIONS_DIR`. */
  operationsDir?: string;
}

/** A value to start from for a required variable, by its named type. */
function placeholder(type: TypeNode): unknown {
  if (type.kind === Kind.NON_NULL_TYPE) return placeholder(type.type);
  if (type.kind === Kind.LIST_TYPE) return [];
  switch (type.name.value) {
    case 'Int':
    case 'Float':
      return 0;
    case 'Boolean':
      return false;
    default:
      return '';
  }
}

/** Words the file names spell in lower case that a title spells otherwise. */
const TITLE_WORDS: Record<string, string> = { api: 'API', id: 'ID' };

function titleOf(file: string): string {
  const words = path.basename(file, '.graphql').split('-').map((word) => TITLE_WORDS[word] ?? word).join(' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Reads `dir/*.graphql`, one operation each; a file that does not parse or holds no single operation fails loudly. */
export function loadExamples(dir: string): PlaygroundExample[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => {
      const query = readFileSync(path.join(dir, file), 'utf8');
      const operations = parse(query).definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
      const operation = operations[0];
      if (operations.length !== 1 || operation?.name === undefined) {
        throw new Error(`${path.join(dir, file)}: an example holds exactly one named operation`);
      }
      const variables: Record<string, unknown> = {};
      for (const definition of operation.variableDefinitions ?? []) {
        if (definition.type.kind === Kind.NON_NULL_TYPE && definition.defaultValue === undefined) {
          variables[definition.variable.name.value] = placeholder(definition.type);
        }
      }
      const description = query
        .split('\n')
        .filter((line) => line.startsWith('#'))
        .map((line) => line.replace(/^#\s?/, ''))
        .join(' ');
      return {
        title: titleOf(file),
        description,
        operationName: operation.name.value,
        operationType: operation.operation,
        query,
        variables: Object.keys(variables).length === 0 ? '' : JSON.stringify(variables, null, 2),
      };
    });
}

/** Only this origin, for scripts, styles, XHR and WebSocket; GraphiQL sets inline styles and embeds its fonts as data URIs. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE = (graphqlPath: string) => `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <title>USM GraphQL facade · playground</title>
  <link rel="icon" href="data:," />
  <link rel="stylesheet" href="/playground/graphiql.css" />
  <link rel="stylesheet" href="/playground/playground.css" />
</head>
<body>
  <div id="playground">Loading the playground…</div>
  <script type="application/json" id="playground-config">${JSON.stringify({ graphqlPath, examples: '/playground/examples.json' })}</script>
  <script src="/playground/react.js"></script>
  <script src="/playground/react-dom.js"></script>
  <script src="/playground/graphql-ws.js"></script>
  <script src="/playground/graphiql.js"></script>
  <script src="/playground/playground.js"></script>
</body>
</html>
`;

function wantsPage(req: Request): boolean {
  return req.method === 'GET' && req.query['query'] === undefined && req.accepts(['json', 'html']) === 'html';
}

/** Mounts the playground page on `graphqlPath` (before the GraphQL handler) and its assets on `/playground`. */
export function mountPlayground(app: Express, graphqlPath: string, options: PlaygroundOptions = {}): void {
  const page = PAGE(graphqlPath);
  const examples = JSON.stringify(loadExamples(options.operationsDir ?? OPERATIONS_DIR));
  app.get(graphqlPath, (req, res, next) => {
    if (!wantsPage(req)) return next();
    res.type('html').set({ 'cache-control': 'no-cache', 'content-security-policy': CONTENT_SECURITY_POLICY }).send(page);
  });
  app.get('/playground/examples.json', (_req, res) => {
    res.type('json').set('cache-control', 'no-cache').send(examples);
  });
  app.get('/playground/:asset', (req, res) => {
    const file = ASSETS[req.params.asset];
    if (file === undefined) {
      res.status(404).json({ error: `no such playground asset; known: examples.json, ${Object.keys(ASSETS).join(', ')}` });
      return;
    }
    // The page's own files change with the checkout; the packages' only with an install.
    const ownFile = req.params.asset.startsWith('playground.');
    res.sendFile(file, ownFile ? { headers: { 'cache-control': 'no-cache' } } : { maxAge: '1d', immutable: true });
  });
}
