/**
 * The shipped scrape config in a real Prometheus, against a facade on the simulator:
 * what Prometheus stores agrees with the calls the simulator counted. The config is
 * deploy/prometheus/prometheus.yml with only the target (the test facade's metrics
 * port) and a 1 s interval changed; its rule files load as shipped.
 *
 * Scraping takes real time: every wait polls the query API with a deadline, none sleeps.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../bench/processes.js';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { requestCount, simulatorStats } from '../support/simulator.stats.js';
import { expressionsOf, readDashboard, withVariables } from './dashboard.fixture.js';
import { startPrometheus, type PrometheusVectorSample, type RunningPrometheus } from './prometheus.fixture.js';

const DEPLOYMENTS = ['acme-east', 'acme-west'] as const;
const LIST = (deployment: string, first: number) => `{ alarms(deployment: "${deployment}", first: ${first}) { edges { node { id } } } }`;
const LIST_CALLS = 'usm_facade_upstream_requests_total{job="usm-facade",endpoint="/alarms",method="GET"}';

const byDeployment = (samples: PrometheusVectorSample[]) =>
  Object.fromEntries(samples.map((sample) => [sample.metric['deployment'] ?? '', Number(sample.value[1])]));

describe('the shipped scrape config in Prometheus', () => {
  let facade: TestFacade;
  let prometheus: RunningPrometheus;
  /** List calls the simulator counted per deployment, once Prometheus has the same. */
  const counted: Record<string, number> = {};
  let warmUp: Record<string, number> = {};

  const simulatorListCalls = async () => {
    const stats = await simulatorStats(facade.simulatorUrl);
    return Object.fromEntries(DEPLOYMENTS.map((d) => [d, requestCount(stats, d, 'GET /alarms')]));
  };
  /** Waits until Prometheus's last scrape holds exactly the list calls the simulator counted. */
  const scrapedUpTo = async (expected: Record<string, number>) => {
    await prometheus.queryUntil(`sum by (deployment) (${LIST_CALLS})`, (samples) => {
      const scraped = byDeployment(samples);
      return DEPLOYMENTS.every((d) => scraped[d] === expected[d]);
    });
  };
  const list = async (deployment: string, first: number) => {
    const { body } = await facade.gql(LIST(deployment, first));
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  };

  before(async () => {
    const metricsPort = await freePort();
    // Every read goes upstream (no page cache) and no per-key limit gets in the way.
    facade = await startTestFacade({ METRICS_PORT: String(metricsPort), CACHE_PAGE_TTL_MS: '0', KEY_BUDGET_MAXIMUM: '0' });
    prometheus = await startPrometheus({ target: `127.0.0.1:${metricsPort}` });
    // A first call per deployment makes its series; Prometheus must hold it before the
    // measured traffic, or `increase` would have no sample to count from.
    for (const deployment of DEPLOYMENTS) await list(deployment, 1);
    warmUp = await simulatorListCalls();
    await scrapedUpTo(warmUp);
  });
  after(async () => {
    await prometheus?.stop();
    await facade?.stop();
  });

  it('scrapes the facade as job usm-facade, with the shipped rules loaded', async () => {
    const up = await prometheus.query('up{job="usm-facade"}');
    assert.equal(up.length, 1);
    assert.equal(up[0]!.value[1], '1');
    assert.equal(up[0]!.metric['instance'], (prometheus.config['scrape_configs'] as Array<{ static_configs: Array<{ targets: string[] }> }>)[0]!.static_configs[0]!.targets[0]);
    const { groups } = await prometheus.api<{ groups: Array<{ rules: Array<{ name: string; health: string }> }> }>('rules?type=alert');
    const rules = groups.flatMap((group) => group.rules);
    assert.ok(rules.length >= 5, `alert rules loaded: ${rules.map((r) => r.name).join(', ')}`);
    assert.ok(rules.some((rule) => rule.name === 'UsmFacadeUpstreamGetRateNearQuota'));
    for (const rule of rules) assert.notEqual(rule.health, 'err', `${rule.name} evaluates`);
  });

  it('stores per deployment every list call the simulator counted, and their rate', async () => {
    // Known traffic, paced so it stays far below the quota, until Prometheus has seen
    // the GET window in use on acme-east at least once (it is a 1 s window, scraped each 1 s).
    let first = 2;
    const sent: Record<string, number> = { 'acme-east': 0, 'acme-west': 0 };
    const deadline = Date.now() + 20_000;
    for (;;) {
      for (let i = 0; i < 5; i += 1) {
        await list('acme-east', first);
        sent['acme-east'] += 1;
        first = (first % 50) + 1;
      }
      await list('acme-west', first);
      sent['acme-west'] += 1;
      const used = await prometheus.query('max_over_time(usm_facade_quota_used{deployment="acme-east",quota="get"}[1m])');
      if (sent['acme-east']! >= 20 && used.length === 1 && Number(used[0]!.value[1]) > 0) break;
      assert.ok(Date.now() < deadline, `Prometheus never saw the GET window of acme-east in use: ${JSON.stringify(used)}`);
      // Real time on purpose: the real Prometheus process scrapes on its own interval.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    Object.assign(counted, await simulatorListCalls());
    for (const d of DEPLOYMENTS) assert.equal(counted[d], warmUp[d]! + sent[d]!, `${d}: one list call per page read`);
    await scrapedUpTo(counted);

    const increase = byDeployment(await prometheus.query(`sum by (deployment) (increase(${LIST_CALLS}[5m]))`));
    const rate = byDeployment(await prometheus.query(`sum by (deployment) (rate(${LIST_CALLS}[1m]))`));
    for (const d of DEPLOYMENTS) {
      // `increase` extrapolates to the ends of its range, so it may say more, never less.
      assert.ok(increase[d]! >= sent[d]!, `${d}: increase ${increase[d]} of ${sent[d]} calls`);
      assert.ok(rate[d]! > 0 && rate[d]! < 100, `${d}: ${rate[d]} list calls/s, under the 100/s quota`);
    }
    assert.equal(increase['acme-lab'], undefined, 'no list call to acme-lab, no series');
  });

  it('stores the quota window of every deployment: limit 95 GET and 47 POST a second, used within it', async () => {
    const limits = await prometheus.query('usm_facade_quota_limit{job="usm-facade"}');
    const limitOf = (quota: string) => byDeployment(limits.filter((s) => s.metric['quota'] === quota));
    assert.deepEqual(limitOf('get'), { 'acme-east': 95, 'acme-west': 95, 'acme-lab': 95, central: 95 });
    assert.deepEqual(limitOf('post'), { 'acme-east': 47, 'acme-west': 47, 'acme-lab': 47, central: 47 });

    const used = await prometheus.query('max_over_time(usm_facade_quota_used{job="usm-facade"}[5m])');
    assert.equal(used.length, 8, 'every deployment, get and post');
    const usedGet = byDeployment(used.filter((s) => s.metric['quota'] === 'get'));
    assert.ok(usedGet['acme-east']! >= 1 && usedGet['acme-east']! <= 95, `acme-east GET window held ${usedGet['acme-east']}`);
    assert.equal(usedGet['acme-lab'], 0);
    const ratio = await prometheus.query(
      'sum by (deployment, quota) (usm_facade_quota_used) / max by (deployment, quota) (usm_facade_quota_limit)',
    );
    assert.ok(ratio.every((s) => Number(s.value[1]) >= 0 && Number(s.value[1]) <= 1), 'the alert ratio is a share of the limit');
  });

  it('runs every query of the Grafana dashboard, its variables filled in, and has data for the upstream panels', async () => {
    const failures: string[] = [];
    const answered = new Map<string, number>();
    for (const { panel, expr } of expressionsOf(readDashboard())) {
      try {
        const samples = await prometheus.query(withVariables(expr));
        answered.set(panel, Math.max(answered.get(panel) ?? 0, samples.length));
      } catch (error) {
        failures.push(`${panel}: ${(error as Error).message}`);
      }
    }
    assert.deepEqual(failures, []);
    for (const panel of ['Upstream GET calls per deployment vs the 100/s quota', 'Quota window used / limit', 'Quota limit', 'GraphQL request rate by outcome']) {
      assert.ok((answered.get(panel) ?? 0) > 0, `${panel} has series`);
    }
  });
});
