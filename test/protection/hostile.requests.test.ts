/**
 * Hostile and broken requests, as an attacker or a careless client sends them, against a
 * production facade: each gets the status, code and message it should, none a 5xx, and
 * none that a limit refused reaches the upstream.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeGlobalId } from '../../src/graph/node/global.id.js';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { dataRequestsOf } from '../support/simulator.stats.js';
import { bearer, createKey } from '../apikey/apikey.fixture.js';

interface Hostile {
  name: string;
  /** Default POST of `body` as JSON with the admin key. */
  method?: string;
  headers?: Record<string, string>;
  /** A value to send as JSON, or a string to send as it is. */
  body?: unknown;
  /** Appended to the endpoint, for GET. */
  search?: string;
  /** Which key: the admin key (default), a read-only key, a key of a small budget, or none. */
  key?: 'admin' | 'reader' | 'small-budget' | 'none' | string;
  /** What the key does just before: spends its budget, say. */
  arrange?: (facade: TestFacade, secret: string) => Promise<void>;
  /** Whether the answer must say when to come back (a Retry-After header and `retryAfterSeconds`). */
  retryAfter?: boolean;
  status: number;
  code: string;
  message: RegExp;
  /** Whether a limit or a check refused it before execution: then no upstream call may follow. Default true. */
  refused?: boolean;
}

const ALARM_FIELDS = 'id priority status deployment { name }';
const deepAlarms = (levels: number) => {
  let selection = 'id';
  for (let i = 0; i < levels; i++) selection = `alarms(first: 1) { edges { node { deployment { ${selection} } } } }`;
  return `{ ${selection} }`;
};
const aliases = (n: number, field = 'viewer { id }') => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;
const fragmentChain = (n: number) =>
  `{ alarms(first: 1) { ...F0 } } ${Array.from({ length: n }, (_, i) =>
    `fragment F${i} on AlarmConnection { edges { node { deployment { alarms(first: 1) { ${i + 1 < n ? `...F${i + 1}` : 'totalCount'} } } } } }`,
  ).join(' ')}`;
/** Depth 8: 100 alarms, each with its deployment's 100 alarms. */
const NESTED_PAGES = 'alarms(first: 100) { edges { node { deployment { alarms(first: 100) { edges { node { id uuid status priorityLabel occurredAt } } } } } } }';
const alarmId = (n: number) => encodeGlobalId('Alarm', 'acme-east', `00000000-0000-0000-0000-${String(n).padStart(12, '0')}`);

const CASES: Hostile[] = [
  // Shape: depth, aliases, directives, tokens, fragments.
  { name: '12 levels of alarms → deployment → alarms', body: { query: deepAlarms(3) }, status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /^The query is nested too deeply/ },
  {
    name: 'deep nesting through _entities',
    body: {
      query: `query($r: [_Any!]!) { _entities(representations: $r) { ... on Deployment { alarms { edges { node { deployment { alarms { edges { node { id } } } } } } } } } }`,
      variables: { r: [{ __typename: 'Deployment', id: encodeGlobalId('Deployment', 'acme-east') }] },
    },
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
    message: /nested too deeply/,
  },
  {
    name: 'deep nesting through node(id) and inline fragments',
    body: { query: `{ node(id: "x") { ... on Alarm { deployment { alarms { edges { node { deployment { alarms { edges { node { id } } } } } } } } } } }` },
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
    message: /nested too deeply/,
  },
  { name: 'deep nesting hidden in a chain of fragments', body: { query: fragmentChain(3) }, status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /nested too deeply/ },
  { name: '1,000 aliases of alarms(first: 1)', body: { query: aliases(1000, 'alarms(first: 1) { totalCount }') }, status: 400, code: 'GRAPHQL_PARSE_FAILED', message: /^Syntax Error: The document is too long/ },
  { name: '16 aliases', body: { query: aliases(16) }, status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /^The query uses too many aliases/ },
  {
    name: 'a directive flood',
    body: { query: `{ viewer { ${Array.from({ length: 60 }, () => 'id @skip(if: false)').join(' ')} } }` },
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
    message: /^The query uses too many directives/,
  },
  { name: 'a fragment cycle', body: { query: '{ viewer { ...A } } fragment A on ApiKey { ...B } fragment B on ApiKey { ...A }' }, status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /Cannot spread fragment "A" within itself via "B"/ },
  { name: 'a syntax error', body: { query: '{ alarms(first: ) }' }, status: 400, code: 'GRAPHQL_PARSE_FAILED', message: /^Syntax Error: Unexpected "\)"/ },
  { name: 'a misspelt field, no suggestion in production', body: { query: '{ alarmz { totalCount } }' }, status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /^Cannot query field "alarmz" on type "Query"\.$/ },
  {
    name: 'a misspelt enum value, no suggestion in production',
    body: { query: '{ alarms(filter: { priority: [HIGHH] }) { totalCount } }' },
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
    message: /^Value "HIGHH" does not exist in "AlarmPriority" enum\.$/,
  },
  // Cost: predicted upstream calls.
  {
    name: '120 alarms by id in two nodes() calls',
    body: {
      query: `query($a: [ID!]!, $b: [ID!]!) { a: nodes(ids: $a) { id } b: nodes(ids: $b) { id } }`,
      variables: { a: Array.from({ length: 60 }, (_, i) => alarmId(i)), b: Array.from({ length: 60 }, (_, i) => alarmId(60 + i)) },
    },
    status: 400,
    code: 'COST_LIMIT_EXCEEDED',
    message: /^This operation could make 12[01] upstream calls; the limit is 100 \(MAX_OPERATION_COST\)/,
  },
  {
    name: '15 aliases of 10 alarm lookups each',
    body: { query: `{ ${Array.from({ length: 15 }, (_, a) => `a${a}: nodes(ids: [${Array.from({ length: 10 }, (_, i) => `"${alarmId(a * 10 + i)}"`).join(', ')}]) { id }`).join(' ')} }` },
    status: 400,
    code: 'COST_LIMIT_EXCEEDED',
    message: /could make 15[01] upstream calls; the limit is 100/,
  },
  {
    name: '101 entity representations',
    body: {
      query: `query($r: [_Any!]!) { _entities(representations: $r) { ... on Alarm { id } } }`,
      variables: { r: Array.from({ length: 101 }, (_, i) => ({ __typename: 'Alarm', id: alarmId(i) })) },
    },
    status: 400,
    code: 'COST_LIMIT_EXCEEDED',
    message: /could make 10[12] upstream calls/,
  },
  // Size: the most objects the answer can hold (cheap upstream: 7 calls, but 150,000 alarms).
  {
    name: '15 aliases of 100 alarms with their deployment’s 100 alarms each',
    body: { query: aliases(15, NESTED_PAGES) },
    status: 400,
    code: 'RESULT_TOO_LARGE',
    message: /^This operation's answer could hold 306015 objects; the limit is 20000 \(MAX_RESULT_NODES\)\. Ask for fewer items \(smaller first\/last\), fewer aliases/,
  },
  { name: 'one depth-8 nesting of first: 100', body: { query: `{ ${NESTED_PAGES} }` }, status: 400, code: 'RESULT_TOO_LARGE', message: /could hold 20401 objects; the limit is 20000 \(MAX_RESULT_NODES\)/ },
  // Budget: the key's points (estimated upstream calls + 0.1), refused before any call.
  {
    name: 'an uncached read from a key whose budget is spent',
    key: 'small-budget',
    // Five uncached pages cost 5.1 points from a budget of 1 restoring 1 a second: 4 s of debt.
    arrange: async (facade, secret) => {
      const spend = await facade.gql(`{ ${[1, 2, 3, 4, 5].map((n) => `p${n}: events(deployment: "acme-west", first: ${n + 10}) { totalCount }`).join(' ')} }`, {}, bearer(secret));
      assert.equal(spend.body.errors, undefined, JSON.stringify(spend.body.errors));
    },
    body: { query: '{ alarms(first: 5, filter: { priority: [HIGH] }) { totalCount } }' },
    status: 429,
    code: 'RATE_LIMITED',
    message: /^This operation costs \d+\.1 points of this API key's budget .* retry in \d+ s\. .*Nothing was sent upstream\.$/,
    retryAfter: true,
  },
  // Arguments the resolvers refuse before any call.
  { name: '101 ids in one nodes() call', body: { query: `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, variables: { ids: Array.from({ length: 101 }, (_, i) => alarmId(i)) } }, status: 200, code: 'BAD_USER_INPUT', message: /^nodes takes at most 100 ids, got 101/ },
  { name: 'a huge first', body: { query: '{ alarms(first: 1000000) { totalCount } }' }, status: 200, code: 'BAD_USER_INPUT', message: /first/ },
  { name: 'a negative last', body: { query: '{ alarms(last: -1) { totalCount } }' }, status: 200, code: 'BAD_USER_INPUT', message: /last/ },
  { name: 'a forged cursor', body: { query: '{ alarms(first: 5, after: "bm90LWEtY3Vyc29y") { totalCount } }' }, status: 200, code: 'BAD_USER_INPUT', message: /cursor/ },
  { name: 'an unknown deployment', body: { query: '{ alarms(deployment: "nope") { totalCount } }' }, status: 200, code: 'NOT_FOUND', message: /unknown deployment "nope"; known deployments: /, refused: false },
  { name: 'a malformed global id', body: { query: '{ node(id: "not-an-id") { id } }' }, status: 200, code: 'BAD_USER_INPUT', message: /id/ },
  // Variables.
  { name: 'a variable of the wrong type', body: { query: 'query($n: Int) { alarms(first: $n) { totalCount } }', variables: { n: 'ten' } }, status: 400, code: 'BAD_USER_INPUT', message: /Variable "\$n" got invalid value "ten"; Int cannot represent non-integer value/ },
  { name: 'a required variable missing', body: { query: 'query($id: ID!) { alarm(id: $id) { id } }' }, status: 400, code: 'BAD_USER_INPUT', message: /Variable "\$id" of required type "ID!" was not provided/ },
  { name: 'variables that are not an object', body: { query: '{ viewer { id } }', variables: 'x' }, status: 400, code: 'BAD_REQUEST', message: /^"variables" must be a JSON object/ },
  // The HTTP request itself.
  { name: 'a 5 MB body', body: { query: '{ viewer { id } }', variables: { padding: 'x'.repeat(5 * 1024 * 1024) } }, status: 413, code: 'BAD_REQUEST', message: /^The body is larger than 1mb/ },
  { name: 'malformed JSON', body: '{"query": "{ viewer { id } }"', status: 400, code: 'BAD_REQUEST', message: /^The body is not valid JSON/ },
  { name: 'an empty body', body: '', status: 400, code: 'BAD_REQUEST', message: /^The body is empty/ },
  { name: 'a JSON string instead of an object', body: '"{ viewer { id } }"', status: 400, code: 'BAD_REQUEST', message: /^The body must be a JSON object/ },
  { name: 'no query at all', body: {}, status: 400, code: 'BAD_REQUEST', message: /^"query" must be the GraphQL document, as a non-empty string/ },
  { name: 'a query that is not a string', body: { query: 42 }, status: 400, code: 'BAD_REQUEST', message: /^"query" must be the GraphQL document/ },
  { name: 'an operationName that is not a string', body: { query: '{ viewer { id } }', operationName: 7 }, status: 400, code: 'BAD_REQUEST', message: /^"operationName" must be/ },
  { name: 'text/plain', headers: { 'content-type': 'text/plain' }, body: '{"query":"{ viewer { id } }"}', status: 415, code: 'BAD_REQUEST', message: /^A POST must have Content-Type: application\/json, not "text\/plain"/ },
  { name: 'a form post', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'query=%7B%20viewer%20%7B%20id%20%7D%20%7D', status: 415, code: 'BAD_REQUEST', message: /Content-Type: application\/json/ },
  { name: 'a batched array', body: [{ query: '{ viewer { id } }' }, { query: '{ viewer { name } }' }], status: 400, code: 'BAD_REQUEST', message: /batching/ },
  {
    name: 'a mutation over GET',
    method: 'GET',
    headers: { 'apollo-require-preflight': 'true' },
    search: `?query=${encodeURIComponent('mutation { revokeApiKey(id: "x") { id } }')}`,
    status: 405,
    code: 'BAD_REQUEST',
    message: /GET requests only support query operations/,
  },
  { name: 'a GET without the CSRF preflight header', method: 'GET', search: `?query=${encodeURIComponent('{ viewer { id } }')}`, status: 400, code: 'BAD_REQUEST', message: /Cross-Site Request Forgery/ },
  { name: 'a subscription over plain HTTP', body: { query: 'subscription { alarmPage { totalCount } }' }, status: 400, code: 'BAD_REQUEST', message: /^Subscriptions run over WebSocket \(graphql-ws\) on \/graphql or Server-Sent Events/ },
  // Operations.
  { name: 'an unknown operationName', body: { query: 'query A { viewer { id } } query B { viewer { name } }', operationName: 'Nope' }, status: 400, code: 'BAD_REQUEST', message: /^The document has no operation named "Nope"; it has: "A", "B"$/ },
  { name: 'two operations and no operationName', body: { query: 'query A { viewer { id } } query B { viewer { name } }' }, status: 400, code: 'BAD_REQUEST', message: /^The document holds several operations \("A", "B"\): name the one to run in operationName$/ },
  // Keys.
  { name: 'no key', key: 'none', body: { query: `{ alarms { edges { node { ${ALARM_FIELDS} } } } }` }, status: 401, code: 'UNAUTHENTICATED', message: /key/i },
  { name: 'a malformed key', key: 'not-a-key', body: { query: '{ viewer { id } }' }, status: 401, code: 'UNAUTHENTICATED', message: /key/i },
  { name: 'a well-formed key nobody issued', key: 'usmf_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA0000', body: { query: '{ viewer { id } }' }, status: 401, code: 'UNAUTHENTICATED', message: /key/i },
  { name: 'introspection without schema:read in production', key: 'reader', body: { query: '{ __schema { types { name } } }' }, status: 403, code: 'FORBIDDEN', message: /schema:read/ },
  { name: 'a label write with a read-only key', key: 'reader', body: { query: `mutation { addAlarmLabel(alarmId: "${alarmId(1)}", labelId: "x") { id } }` }, status: 403, code: 'FORBIDDEN', message: /alarms:write/ },
];

describe('hostile and broken requests (production)', () => {
  let facade: TestFacade;
  let readerKey: string;
  let smallBudgetKey: string;

  before(async () => {
    facade = await startTestFacade({ NODE_ENV: 'production' });
    readerKey = (await createKey(facade, { name: 'reader', permissions: ['ALARMS_READ'] })).secret;
    smallBudgetKey = (await createKey(facade, { name: 'small-budget', permissions: ['ALARMS_READ'], budget: { maximum: 1, restoreRate: 1 } })).secret;
  });
  after(() => facade.stop());

  it(`has at least 30 cases`, () => assert.ok(CASES.length >= 30, `${CASES.length} cases`));

  for (const hostile of CASES) {
    it(`answers ${hostile.name} with ${hostile.status} ${hostile.code}`, async () => {
      const key = hostile.key ?? 'admin';
      const secret =
        key === 'admin' ? facade.adminKey : key === 'reader' ? readerKey : key === 'small-budget' ? smallBudgetKey : key === 'none' ? undefined : key;
      if (hostile.arrange !== undefined) await hostile.arrange(facade, secret!);
      const headers: Record<string, string> = {
        // The spec's newer media type, whose refusals carry their own status (a client
        // accepting application/json gets 200 with the same body: test/server/refusal.status).
        accept: 'application/graphql-response+json',
        ...(hostile.method === 'GET' ? {} : { 'content-type': 'application/json' }),
        ...(secret === undefined ? {} : bearer(secret)),
        ...hostile.headers,
      };
      const body = hostile.body === undefined ? undefined : typeof hostile.body === 'string' ? hostile.body : JSON.stringify(hostile.body);
      const calls = await dataRequestsOf(facade.simulatorUrl);
      const response = await fetch(`${facade.url}${hostile.search ?? ''}`, { method: hostile.method ?? 'POST', headers, body });
      const text = await response.text();
      assert.equal(response.status, hostile.status, text.slice(0, 500));
      assert.match(response.headers.get('content-type') ?? '', /^application\/(graphql-response\+)?json/);
      const answer = JSON.parse(text) as { errors?: Array<{ message: string; extensions?: { code?: string } }> };
      const error = answer.errors?.[0];
      assert.ok(error !== undefined, text.slice(0, 500));
      assert.equal(error.extensions?.code, hostile.code, text.slice(0, 500));
      assert.match(error.message, hostile.message);
      // Nothing a production answer says may point into the code or the upstream.
      assert.doesNotMatch(text, /\bat .*\.(js|ts):\d+|stacktrace|Did you mean|https?:\/\/127\.0\.0\.1|Bearer [\w-]{16,}|usmf_\w{16,}/i);
      if (hostile.retryAfter === true) {
        const seconds = (error.extensions as { retryAfterSeconds?: number }).retryAfterSeconds;
        assert.ok(seconds !== undefined && seconds >= 1, text.slice(0, 500));
        assert.equal(response.headers.get('retry-after'), String(seconds));
      }
      if (hostile.refused !== false) assert.equal(await dataRequestsOf(facade.simulatorUrl), calls, 'no upstream call for a refused request');
    });
  }

  it('serves a nested connection under a page of alarms with one page per deployment, not one per alarm', async () => {
    const calls = await dataRequestsOf(facade.simulatorUrl);
    const response = await facade.gql(`{ alarms(first: 100) { edges { node { id deployment { alarms(first: 100) { totalCount } } } } } }`);
    assert.equal(response.status, 200);
    assert.equal(response.body.errors, undefined);
    const cost = response.body.extensions?.['cost'] as { estimatedUpstreamCalls: number; actualUpstreamCalls: number };
    const sent = (await dataRequestsOf(facade.simulatorUrl)) - calls;
    assert.equal(cost.actualUpstreamCalls, sent);
    assert.ok(cost.estimatedUpstreamCalls >= sent, JSON.stringify(cost));
    // Three deployments, each read once (the nested pages are the same pages), and Central's list at most.
    assert.ok(sent <= 4, `${sent} upstream calls`);
  });
});
