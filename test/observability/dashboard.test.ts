/**
 * deploy/grafana/usm-facade.json reads only metrics the facade exposes: every metric name
 * in its expressions is a family in a live facade's /metrics after some traffic (a
 * histogram's `_bucket`, `_sum` and `_count` count as the histogram), and it has the
 * panels operators look for, on a datasource chosen at import.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../bench/processes.js';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { expressionsOf, familyOf, metricNamesIn, panelsOf, readDashboard } from './dashboard.fixture.js';

const PANELS = [
  'GraphQL request rate by outcome',
  'GraphQL request latency',
  'GraphQL latency p95 by operation',
  'Refusals by reason',
  'Upstream GET calls per deployment vs the 100/s quota',
  'Upstream POST calls per deployment vs the 50/s quota',
  'Quota window used / limit',
  'Quota limit',
  '429 Too Many Requests from USM',
  'Upstream answers by status',
  'Upstream latency p95 by endpoint',
  'Upstream retries',
  'Token refreshes by outcome',
  'Circuit breakers open',
  'Credentials failing',
  'Budget queue wait by class',
  'Budget queue length by class',
  'Cache hit ratio by cache',
  'Live subscribers and groups',
  'Live polls by outcome',
  'WebSocket connections by state',
  'Failed logins by transport',
  'CPU',
  'Memory',
  'Event loop lag p99',
  'Upstream calls that served an answer',
];

/** `# TYPE name type` lines of an exposition. */
function familiesOf(text: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (match !== null) types.set(match[1]!, match[2]!);
  }
  return types;
}

describe('the Grafana dashboard', () => {
  const dashboard = readDashboard();

  it('has the panels operators look for, each with a query', () => {
    const panels = panelsOf(dashboard);
    assert.deepEqual(
      panels.map((panel) => panel.title),
      PANELS,
    );
    for (const panel of panels) assert.ok((panel.targets ?? []).some((t) => (t.expr ?? '') !== ''), `${panel.title} has a query`);
  });

  it('queries the Prometheus datasource chosen at import, through its datasource variable', () => {
    const variable = dashboard.templating.list.find((v) => v.type === 'datasource');
    assert.deepEqual({ name: variable?.name, query: variable?.query }, { name: 'datasource', query: 'prometheus' });
    for (const panel of panelsOf(dashboard)) {
      assert.deepEqual(panel.datasource, { type: 'prometheus', uid: '${datasource}' }, panel.title);
    }
    assert.equal(dashboard.uid, 'usm-facade');
    assert.equal((dashboard as { id?: unknown }).id, null, 'no id, so an import creates it');
  });

  it('draws the 100/s GET quota as a line on the upstream calls panel', () => {
    const panel = panelsOf(dashboard).find((p) => p.title === 'Upstream GET calls per deployment vs the 100/s quota') as unknown as {
      targets: Array<{ expr: string }>;
      fieldConfig: { defaults: { thresholds: { steps: Array<{ value: number | null }> }; custom: { thresholdsStyle: { mode: string } } } };
    };
    assert.match(panel.targets[0]!.expr, /^sum by \(deployment\) \(rate\(usm_facade_upstream_requests_total\{method="GET"/);
    assert.ok(panel.fieldConfig.defaults.thresholds.steps.some((step) => step.value === 100));
    assert.notEqual(panel.fieldConfig.defaults.custom.thresholdsStyle.mode, 'off');
  });

  it('reads the histograms through their buckets and quantiles', () => {
    const exprs = expressionsOf(dashboard).map((e) => e.expr);
    for (const histogram of ['usm_facade_graphql_request_duration_seconds', 'usm_facade_budget_wait_seconds', 'usm_facade_upstream_request_duration_seconds']) {
      assert.ok(
        exprs.some((expr) => expr.includes('histogram_quantile(') && expr.includes(`${histogram}_bucket`)),
        `a histogram_quantile over ${histogram}_bucket`,
      );
    }
  });

  describe('against a live facade', () => {
    let facade: TestFacade;
    let families: Map<string, string>;

    before(async () => {
      facade = await startTestFacade({ METRICS_PORT: String(await freePort()) });
      // Traffic so the series that appear with their first event exist: a GraphQL
      // request, upstream list calls and a token, a cache hit, budget waits.
      const page = '{ alarms(deployment: "acme-east", first: 3) { edges { node { id } } } }';
      for (let i = 0; i < 2; i += 1) assert.equal((await facade.gql(page)).body.errors, undefined);
      families = familiesOf(await (await fetch(facade.metricsUrl!)).text());
    });
    after(() => facade?.stop());

    it('exposes every metric the dashboard reads', () => {
      const missing: string[] = [];
      const read = new Set<string>();
      for (const { panel, expr } of expressionsOf(dashboard)) {
        for (const name of metricNamesIn(expr)) {
          read.add(name);
          if (familyOf(name, families) === undefined) missing.push(`${name} (${panel})`);
        }
      }
      assert.deepEqual(missing, []);
      // The tokenizer found the dashboard's metrics at all.
      assert.ok(read.size >= 15, [...read].join(', '));
    });

    it('reads every usm_facade_ metric the facade exposes', () => {
      const read = new Set(
        expressionsOf(dashboard).flatMap(({ expr }) => metricNamesIn(expr).map((name) => familyOf(name, families) ?? name)),
      );
      const unread = [...families.keys()].filter((name) => name.startsWith('usm_facade_') && !read.has(name));
      assert.deepEqual(unread, []);
    });
  });
});
