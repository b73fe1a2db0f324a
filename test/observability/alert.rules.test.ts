/**
 * What promtool says of the files operators copy: the alert rules and the scrape config
 * pass its checks, and the rules whose expressions do more than compare one series
 * (sums over replicas, a flapping breaker, a counter whose series starts at its first
 * failure) fire and resolve as alerts.rules.test.yml says.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { promtool, REPO_ROOT, SHIPPED_CONFIG, SHIPPED_RULES } from './prometheus.fixture.js';

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

describe('deploy/prometheus', () => {
  it('has alert rules promtool check rules accepts', () => {
    const run = promtool(['check', 'rules', SHIPPED_RULES]);
    assert.equal(run.status, 0, run.output);
  });

  it('has a scrape config promtool check config accepts, with the rules it names', () => {
    const run = promtool(['check', 'config', SHIPPED_CONFIG]);
    assert.equal(run.status, 0, run.output);
    assert.match(run.output, /1 rule files found/);
  });

  it('gives every alert a for: duration, a severity and a summary and description saying what to do', () => {
    const { groups } = parse(readFileSync(SHIPPED_RULES, 'utf8')) as { groups: Array<{ rules: AlertRule[] }> };
    const rules = groups.flatMap((group) => group.rules);
    assert.deepEqual(
      rules.map((rule) => rule.alert),
      [
        'UsmFacadeDown',
        'UsmFacadeUpstreamGetRateNearQuota',
        'UsmFacadeQuotaWindowNearlyFull',
        'UsmFacadeUpstreamRateLimited',
        'UsmFacadeUpstreamCredentialFailing',
        'UsmFacadeUpstreamBreakerOpen',
        'UsmFacadeTokenRequestsFailing',
        'UsmFacadeInteractiveBudgetWait',
        'UsmFacadeLivePollsSkipped',
      ],
    );
    for (const rule of rules) {
      assert.match(rule.for ?? '', /^\d+m$/, `${rule.alert} for:`);
      assert.ok(['warning', 'critical'].includes(rule.labels?.['severity'] ?? ''), `${rule.alert} severity`);
      assert.ok((rule.annotations?.['summary'] ?? '').length > 0, `${rule.alert} summary`);
      assert.ok((rule.annotations?.['description'] ?? '').length > 100, `${rule.alert} description`);
    }
  });

  it('fires and resolves its alerts as the promtool unit tests expect', () => {
    const tests = path.join(REPO_ROOT, 'test/observability/alerts.rules.test.yml');
    const run = promtool(['test', 'rules', path.basename(tests)], path.dirname(tests));
    assert.equal(run.status, 0, run.output);
  });
});
