import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, type Config } from '../../src/config/config.js';
import { UPSTREAM_TUNING_DEFAULTS } from '../../src/upstream/upstream.settings.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'usm-config-test-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** The problems `loadConfig` reports for `env`. */
function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  return assert.fail('expected a ConfigError');
}

function configured(config: Config) {
  assert.equal(config.upstream.mode, 'configured');
  if (config.upstream.mode !== 'configured') throw new Error('unreachable');
  return config.upstream;
}

const YAML = `
central:
  url: https://acme.alienvault.cloud/api/1.1/
  clientId: central-client
  clientSecret: env:CENTRAL_SECRET
deployments:
  - name: acme-east
    url: https://acme-east.alienvault.cloud/api/2.0
    clientId: east-client
    clientSecret: file:east.secret
  - url: https://acme-west.alienvault.cloud/api/2.0
    clientId: west-client
    clientSecret: literal-west-secret
`;

describe('USM_CONFIG', () => {
  it('reads Central and several deployments from YAML, resolving env: and file: secrets', () => {
    file('east.secret', 'east-secret-from-file\n');
    const upstream = configured(loadConfig({ USM_CONFIG: file('usm.yml', YAML), CENTRAL_SECRET: 'central-secret-from-env' }));
    assert.deepEqual(upstream.central, {
      api: 'central',
      name: 'central',
      url: 'https://acme.alienvault.cloud/api/1.1',
      clientId: 'central-client',
      clientSecret: 'central-secret-from-env',
    });
    assert.deepEqual(upstream.deployments, [
      {
        api: 'anywhere',
        name: 'acme-east',
        url: 'https://acme-east.alienvault.cloud/api/2.0',
        clientId: 'east-client',
        clientSecret: 'east-secret-from-file',
      },
      {
        api: 'anywhere',
        name: 'acme-west',
        url: 'https://acme-west.alienvault.cloud/api/2.0',
        clientId: 'west-client',
        clientSecret: 'literal-west-secret',
      },
    ]);
  });

  it('reads the same from JSON', () => {
    const json = JSON.stringify({
      deployments: [{ name: 'acme-east', url: 'https://acme-east.alienvault.cloud/api/2.0', clientId: 'c', clientSecret: 's' }],
    });
    const upstream = configured(loadConfig({ USM_CONFIG: file('usm.json', json) }));
    assert.equal(upstream.central, undefined);
    assert.deepEqual(upstream.deployments.map((d) => d.name), ['acme-east']);
  });

  it('adds the USM_ANYWHERE_* deployment to those of the file', () => {
    const json = JSON.stringify({
      deployments: [{ url: 'https://acme-east.alienvault.cloud/api/2.0', clientId: 'c', clientSecret: 's' }],
    });
    const upstream = configured(
      loadConfig({
        USM_CONFIG: file('one.json', json),
        USM_ANYWHERE_URL: 'https://acme-lab.alienvault.cloud/api/2.0',
        USM_ANYWHERE_CLIENT_ID: 'lab',
        USM_ANYWHERE_CLIENT_SECRET: 'lab-secret',
      }),
    );
    assert.deepEqual(upstream.deployments.map((d) => d.name), ['acme-east', 'acme-lab']);
  });

  it('names a missing field', () => {
    const yaml = 'deployments:\n  - name: acme-east\n    url: https://acme-east.alienvault.cloud/api/2.0\n    clientSecret: s\n';
    assert.deepEqual(problemsOf({ USM_CONFIG: file('missing.yml', yaml) }), ['USM_CONFIG deployments[0].clientId: is required']);
  });

  it('names a bad URL', () => {
    const yaml = 'deployments:\n  - name: acme-east\n    url: acme-east.alienvault.cloud\n    clientId: c\n    clientSecret: s\n';
    assert.deepEqual(problemsOf({ USM_CONFIG: file('bad-url.yml', yaml) }), [
      'USM_CONFIG deployments[0].url: must be an absolute http(s) URL, e.g. https://acme-east.alienvault.cloud/api/2.0',
    ]);
  });

  it('names an unknown secret reference without echoing it', () => {
    const yaml = 'deployments:\n  - name: acme-east\n    url: https://acme-east.alienvault.cloud/api/2.0\n    clientId: c\n    clientSecret: vault:kv/acme#s3cr3t\n';
    const problems = problemsOf({ USM_CONFIG: file('unknown-ref.yml', yaml) });
    assert.deepEqual(problems, [
      'USM_CONFIG deployments[0].clientSecret: is an unknown secret reference; use env:NAME, file:/path, or write literal:<secret> when the secret itself starts with a word and a colon',
    ]);
    assert.doesNotMatch(problems.join('\n'), /s3cr3t|vault/);
  });

  it('names an unset environment variable and an unreadable secret file', () => {
    const yaml =
      'central:\n  url: https://acme.alienvault.cloud/api/1.1\n  clientId: c\n  clientSecret: env:NOT_SET_ANYWHERE\n' +
      'deployments:\n  - name: acme-east\n    url: https://acme-east.alienvault.cloud/api/2.0\n    clientId: c\n    clientSecret: file:/nonexistent/east.secret\n';
    assert.deepEqual(problemsOf({ USM_CONFIG: file('refs.yml', yaml) }), [
      'USM_CONFIG central.clientSecret: refers to environment variable NOT_SET_ANYWHERE, which is not set',
      'USM_CONFIG deployments[0].clientSecret: cannot read secret file /nonexistent/east.secret (ENOENT)',
    ]);
  });

  it('refuses a deployment name used twice, and an unknown field', () => {
    const yaml =
      'deployments:\n' +
      '  - {name: acme-east, url: "https://a.example/api/2.0", clientId: a, clientSecret: s}\n' +
      '  - {name: acme-east, url: "https://b.example/api/2.0", clientId: b, clientSecret: s}\n' +
      '  - {name: acme-lab, url: "https://c.example/api/2.0", client_id: c, clientId: c, clientSecret: s}\n';
    assert.deepEqual(problemsOf({ USM_CONFIG: file('dupes.yml', yaml) }), [
      'USM_CONFIG deployments[1].name: "acme-east" is already used by deployments[0]; each deployment needs its own name',
      'USM_CONFIG deployments[2]: unknown field "client_id"; expected an object with name, url, clientId, clientSecret',
    ]);
  });

  it('names an unreadable file and a file that is neither JSON nor YAML, by position only', () => {
    assert.deepEqual(problemsOf({ USM_CONFIG: join(dir, 'absent.yml') }), [
      `USM_CONFIG: cannot read ${join(dir, 'absent.yml')} (ENOENT); give the path of a JSON or YAML file`,
    ]);
    const broken = file('broken.json', '{"deployments": [{"clientSecret": "hunter2", }');
    const problems = problemsOf({ USM_CONFIG: broken });
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^USM_CONFIG: .*broken\.json is not valid JSON or YAML \(line 1, column \d+/);
    assert.doesNotMatch(problems[0]!, /hunter2/);
  });

  it('reports every problem of every entry at once', () => {
    const yaml =
      'deployments:\n' +
      '  - {name: acme-east, url: "ftp://a.example", clientId: a, clientSecret: s}\n' +
      '  - {name: acme-west, url: "https://b.example/api/2.0", clientSecret: env:NOPE_NOT_SET}\n';
    assert.deepEqual(problemsOf({ USM_CONFIG: file('many.yml', yaml) }), [
      'USM_CONFIG deployments[0].url: must start with http:// or https://',
      'USM_CONFIG deployments[1].clientSecret: refers to environment variable NOPE_NOT_SET, which is not set',
      'USM_CONFIG deployments[1].clientId: is required',
    ]);
  });
});

describe('single-deployment variables', () => {
  it('still configure one deployment and Central', () => {
    const upstream = configured(
      loadConfig({
        USM_ANYWHERE_URL: 'https://acme-east.alienvault.cloud/api/2.0',
        USM_ANYWHERE_CLIENT_ID: 'east',
        USM_ANYWHERE_CLIENT_SECRET: 'east-secret',
        USM_CENTRAL_URL: 'https://acme.alienvault.cloud/api/1.1',
        USM_CENTRAL_CLIENT_ID: 'central',
        USM_CENTRAL_CLIENT_SECRET: 'central-secret',
      }),
    );
    assert.deepEqual(upstream.deployments.map((d) => [d.name, d.clientId]), [['acme-east', 'east']]);
    assert.equal(upstream.central?.clientId, 'central');
  });

  it('refuses Central configured both in the file and in the environment', () => {
    const yaml = 'central:\n  url: https://acme.alienvault.cloud/api/1.1\n  clientId: c\n  clientSecret: s\n';
    assert.deepEqual(
      problemsOf({
        USM_CONFIG: file('central.yml', yaml),
        USM_CENTRAL_URL: 'https://acme.alienvault.cloud/api/1.1',
        USM_CENTRAL_CLIENT_ID: 'central',
        USM_CENTRAL_CLIENT_SECRET: 'central-secret',
      }),
      ['USM_CENTRAL_*: Central is also configured in USM_CONFIG; configure it in one place only'],
    );
  });

  it('runs against the embedded simulator when nothing is configured', () => {
    assert.equal(loadConfig({}).upstream.mode, 'embedded');
  });
});

describe('upstream tuning', () => {
  it('has documented defaults', () => {
    assert.deepEqual(loadConfig({}).upstreamTuning, {
      connectTimeoutMs: 5000,
      requestTimeoutMs: 15000,
      retryMaxAttempts: 5,
      retryBaseDelayMs: 100,
      retryMaxDelayMs: 5000,
      breakerThreshold: 5,
      breakerHalfOpenAfterMs: 10000,
      budgetShare: 0.95,
      budgetWindowMarginMs: 10,
      queueMaxWaitMs: 10000,
      liveMaxWaitMs: 2000,
      backgroundMaxWaitMs: 5000,
      parsedDocuments: 1000,
    });
    assert.deepEqual(loadConfig({}).upstreamTuning, { ...UPSTREAM_TUNING_DEFAULTS });
  });

  it('reads each tunable from its variable', () => {
    const tuning = loadConfig({
      UPSTREAM_CONNECT_TIMEOUT_MS: '1000',
      UPSTREAM_REQUEST_TIMEOUT_MS: '2000',
      UPSTREAM_RETRY_MAX_ATTEMPTS: '3',
      UPSTREAM_RETRY_BASE_DELAY_MS: '50',
      UPSTREAM_RETRY_MAX_DELAY_MS: '500',
      UPSTREAM_BREAKER_THRESHOLD: '8',
      UPSTREAM_BREAKER_HALF_OPEN_AFTER_MS: '30000',
      UPSTREAM_BUDGET_SHARE: '0.8',
      UPSTREAM_BUDGET_WINDOW_MARGIN_MS: '25',
      UPSTREAM_QUEUE_MAX_WAIT_MS: '2500',
      UPSTREAM_LIVE_MAX_WAIT_MS: '500',
      UPSTREAM_BACKGROUND_MAX_WAIT_MS: '1500',
      UPSTREAM_PARSED_DOCUMENTS: '0',
    }).upstreamTuning;
    assert.deepEqual(tuning, {
      connectTimeoutMs: 1000,
      requestTimeoutMs: 2000,
      retryMaxAttempts: 3,
      retryBaseDelayMs: 50,
      retryMaxDelayMs: 500,
      breakerThreshold: 8,
      breakerHalfOpenAfterMs: 30000,
      budgetShare: 0.8,
      budgetWindowMarginMs: 25,
      queueMaxWaitMs: 2500,
      liveMaxWaitMs: 500,
      backgroundMaxWaitMs: 1500,
      parsedDocuments: 0,
    });
  });

  it('gives each GraphQL request a deadline of 20 s unless REQUEST_DEADLINE_MS says otherwise', () => {
    assert.equal(loadConfig({}).requestDeadlineMs, 20_000);
    assert.equal(loadConfig({ REQUEST_DEADLINE_MS: '3000' }).requestDeadlineMs, 3000);
    assert.deepEqual(problemsOf({ REQUEST_DEADLINE_MS: '10' }), ['REQUEST_DEADLINE_MS: must be a whole number from 100 to 3600000']);
  });

  it('names each invalid tunable', () => {
    assert.deepEqual(
      problemsOf({
        UPSTREAM_BUDGET_SHARE: '1.5',
        UPSTREAM_RETRY_MAX_ATTEMPTS: 'many',
        UPSTREAM_QUEUE_MAX_WAIT_MS: '-1',
        UPSTREAM_PARSED_DOCUMENTS: 'all',
      }),
      [
        'UPSTREAM_RETRY_MAX_ATTEMPTS: must be a whole number from 1 to 20',
        'UPSTREAM_BUDGET_SHARE: must be greater than 0 and at most 1, e.g. 0.95',
        'UPSTREAM_QUEUE_MAX_WAIT_MS: must be a whole number from 0 to 3600000',
        'UPSTREAM_PARSED_DOCUMENTS: must be a whole number from 0 to 100000',
      ],
    );
  });
});

describe('ports and numbers', () => {
  it('refuses a blank number instead of reading it as 0 (PORT= would otherwise listen on a free port)', () => {
    assert.deepEqual(problemsOf({ PORT: '', METRICS_PORT: ' ', UPSTREAM_RETRY_MAX_ATTEMPTS: '' }), [
      'PORT: must be a port number from 0 to 65535 (0 picks a free one)',
      'METRICS_PORT: must be a port number from 0 to 65535 (0 turns the metrics listener off)',
      'UPSTREAM_RETRY_MAX_ATTEMPTS: must be a whole number from 1 to 20',
    ]);
    assert.equal(loadConfig({ PORT: ' 0 ' }).port, 0);
  });

  it('refuses a largest retry delay below the first one, naming both variables', () => {
    assert.deepEqual(problemsOf({ UPSTREAM_RETRY_BASE_DELAY_MS: '500', UPSTREAM_RETRY_MAX_DELAY_MS: '100' }), [
      'UPSTREAM_RETRY_MAX_DELAY_MS: must not be smaller than UPSTREAM_RETRY_BASE_DELAY_MS',
    ]);
  });
});

describe('REDIS_PREFIX', () => {
  it('defaults to usm-facade: and takes another', () => {
    assert.equal(loadConfig({}).redisPrefix, 'usm-facade:');
    assert.equal(loadConfig({ REDIS_PREFIX: 'tenant-b:' }).redisPrefix, 'tenant-b:');
  });

  it('refuses a prefix with spaces, wildcards or nothing in it, saying what is allowed', () => {
    for (const value of ['', 'two words', 'usm*', ':leading']) {
      assert.deepEqual(problemsOf({ REDIS_PREFIX: value }), [
        'REDIS_PREFIX: must be 1–64 letters, digits, ":", "_", "." or "-", e.g. usm-facade:',
      ]);
    }
  });
});
