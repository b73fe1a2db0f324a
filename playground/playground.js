/**
 * The playground page's own script: a key bar above GraphiQL, and GraphiQL itself once
 * a key is accepted. Plain browser JavaScript on the UMD globals the page loads before
 * it (React, ReactDOM, GraphiQL, graphqlWs), so nothing is built and nothing is fetched
 * from anywhere but this facade.
 *
 * Contract:
 * - Before a key, GraphiQL is not mounted: no schema request goes out to be refused.
 * - "Use key" sends a `viewer` query with it; only an accepted key is kept, in this
 *   tab's session storage (gone when the tab closes), and GraphiQL mounts with it.
 *   A refused key leaves the page as it was, with the facade's message.
 * - Every GraphiQL request carries `Authorization: Bearer <key>`; subscriptions run
 *   over graphql-ws with the same header in `connection_init`.
 * - "Examples" (open at start) lists `operations/*.graphql`; choosing one puts its
 *   document and variables in the editors, as GraphiQL's history does.
 * - "Forget key" drops the key from storage, closes the WebSocket and unmounts GraphiQL.
 */
(function () {
  'use strict';

  const h = React.createElement;
  const { useEffect, useMemo, useState } = React;
  const KEY_ITEM = 'usm-facade:api-key';
  const config = JSON.parse(document.getElementById('playground-config').textContent);
  const endpoint = new URL(config.graphqlPath, location.href).href;
  const wsEndpoint = endpoint.replace(/^http/, 'ws');
  const VIEWER = 'query PlaygroundViewer { viewer { name permissions } }';

  const session = {
    get() {
      try { return sessionStorage.getItem(KEY_ITEM); } catch { return null; }
    },
    set(key) {
      try { sessionStorage.setItem(KEY_ITEM, key); } catch { /* storage disabled: the key lives until reload */ }
    },
    clear() {
      try { sessionStorage.removeItem(KEY_ITEM); } catch { /* nothing stored */ }
    },
  };

  /** Resolves to `{ viewer }` when the facade accepts `key`, else `{ error }` with its message. */
  async function checkKey(key) {
    try {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: VIEWER, operationName: 'PlaygroundViewer' }),
      });
      const body = await response.json().catch(() => null);
      const viewer = body && body.data && body.data.viewer;
      if (viewer) return { viewer };
      const error = body && body.errors && body.errors[0];
      return { error: error ? error.message : `the facade answered HTTP ${response.status}` };
    } catch (error) {
      return { error: `the facade could not be reached (${error.message})` };
    }
  }

  function KeyBar({ viewer, checking, error, onUse, onForget }) {
    const [draft, setDraft] = useState('');
    const title = h('span', { className: 'usm-title' }, 'USM GraphQL facade');
    if (viewer) {
      return h('header', { className: 'usm-keybar' }, title,
        h('span', { className: 'usm-viewer', 'data-testid': 'viewer' },
          'Key ', h('strong', null, viewer.name), ' · ', viewer.permissions.join(', ').toLowerCase().replace(/_/g, ':')),
        h('button', { type: 'button', className: 'usm-button', onClick: onForget }, 'Forget key'));
    }
    return h('header', { className: 'usm-keybar' }, title,
      h('form', {
        className: 'usm-keyform',
        onSubmit: (event) => {
          event.preventDefault();
          if (draft.trim() !== '') onUse(draft.trim());
        },
      },
      h('label', { htmlFor: 'usm-api-key' }, 'Facade API key'),
      h('input', {
        id: 'usm-api-key', name: 'api-key', type: 'password', autoComplete: 'off', spellCheck: false,
        placeholder: 'usmf_…', value: draft, onChange: (event) => setDraft(event.target.value), disabled: checking,
      }),
      h('button', { type: 'submit', className: 'usm-button', disabled: checking || draft.trim() === '' }, checking ? 'Checking…' : 'Use key')),
      error ? h('span', { className: 'usm-error', role: 'alert' }, error) : null);
  }

  function Welcome() {
    return h('main', { className: 'usm-welcome' },
      h('h1', null, 'Enter a facade API key to explore the schema'),
      h('p', null, 'The schema, the examples and every query load once the facade has accepted a key. ',
        'The key stays in this browser tab (session storage) and goes only to this facade, as ',
        h('code', null, 'Authorization: Bearer …'), ' on HTTP and in the WebSocket ', h('code', null, 'connection_init'), '.'),
      h('p', null, 'On first start the facade prints its default admin key once on stderr (or set ',
        h('code', null, 'FACADE_ADMIN_KEY'), '); an operator creates narrower keys with ', h('code', null, 'createApiKey'),
        '. Reading the schema in production needs the ', h('code', null, 'schema:read'), ' permission.'));
  }

  /** The description's `code` spans as <code>, the rest as text. */
  function withCode(text) {
    return text.split('`').map((part, index) => (index % 2 === 1 ? h('code', { key: index }, part) : part));
  }

  function ExampleList({ examples }) {
    const editor = GraphiQL.React.useEditorContext({ nonNull: true });
    return h('section', { className: 'usm-examples' },
      h('div', { className: 'graphiql-doc-explorer-title' }, 'Examples'),
      h('p', { className: 'usm-examples-hint' }, 'The operations in operations/*.graphql. Choose one, then run it.'),
      h('ul', null, examples.map((example) => h('li', { key: example.operationName },
        h('button', {
          type: 'button',
          className: 'usm-example',
          'data-operation': example.operationName,
          onClick: () => {
            const query = editor.queryEditor;
            if (query) {
              query.setValue(example.query);
              // GraphiQL derives these facts 100 ms after an edit; a run sooner would send the last
              // example's operation name and let its fetcher take a subscription for a query.
              query.documentAST = GraphiQL.GraphQL.parse(example.query);
              query.operations = query.documentAST.definitions.filter((d) => d.kind === 'OperationDefinition');
              query.operationName = example.operationName;
              editor.setOperationName(example.operationName);
            }
            if (editor.variableEditor) editor.variableEditor.setValue(example.variables);
          },
        },
        h('span', { className: 'usm-example-title' }, example.title,
          h('span', { className: 'usm-example-type' }, example.operationType)),
        h('span', { className: 'usm-example-description' }, withCode(example.description)))))));
  }

  function ExamplesIcon() {
    return h('svg', { viewBox: '0 0 24 24', fill: 'none', stroke: 'currentColor', strokeWidth: 1.5, 'aria-hidden': true },
      h('path', { d: 'M4 6h16M4 12h16M4 18h10' }));
  }

  function Explorer({ apiKey, examples }) {
    const client = useMemo(() => {
      const authorization = `Bearer ${apiKey}`;
      const wsClient = graphqlWs.createClient({ url: wsEndpoint, lazy: true, connectionParams: { Authorization: authorization } });
      return { wsClient, fetcher: GraphiQL.createFetcher({ url: endpoint, headers: { Authorization: authorization }, wsClient }) };
    }, [apiKey]);
    useEffect(() => () => client.wsClient.dispose(), [client]);
    const plugins = useMemo(() => [{ title: 'Examples', icon: ExamplesIcon, content: () => h(ExampleList, { examples }) }], [examples]);
    return h('div', { className: 'usm-graphiql' }, h(GraphiQL, {
      fetcher: client.fetcher,
      plugins,
      visiblePlugin: 'Examples',
      defaultQuery: examples.length > 0 ? examples[0].query : undefined,
      defaultEditorToolsVisibility: 'variables',
      shouldPersistHeaders: false,
    }));
  }

  function Playground() {
    const [apiKey, setApiKey] = useState(null);
    const [viewer, setViewer] = useState(null);
    const [checking, setChecking] = useState(false);
    const [error, setError] = useState(null);
    const [examples, setExamples] = useState(null);

    useEffect(() => {
      fetch(config.examples).then((response) => response.json()).then(setExamples, () => setExamples([]));
    }, []);

    async function use(key) {
      setChecking(true);
      setError(null);
      const answer = await checkKey(key);
      setChecking(false);
      if (answer.viewer === undefined) {
        setError(`The facade refused this key: ${answer.error}`);
        return;
      }
      session.set(key);
      setViewer(answer.viewer);
      setApiKey(key);
    }

    useEffect(() => {
      const stored = session.get();
      if (stored === null) return;
      checkKey(stored).then((answer) => {
        if (answer.viewer === undefined) { session.clear(); return; }
        setViewer(answer.viewer);
        setApiKey(stored);
      });
    }, []);

    function forget() {
      session.clear();
      setApiKey(null);
      setViewer(null);
    }

    const ready = apiKey !== null && examples !== null;
    return h('div', { className: 'usm-playground' },
      h(KeyBar, { viewer, checking, error, onUse: use, onForget: forget }),
      ready ? h(Explorer, { key: apiKey, apiKey, examples }) : h(Welcome));
  }

  ReactDOM.createRoot(document.getElementById('playground')).render(h(Playground));
})();
