/**
 * deploy/kubernetes, deploy/docker-compose.yml and the Dockerfile agree with the code:
 * the probes hit /readyz and /healthz on the port PORT sets, the metrics port is
 * METRICS_PORT, every variable they set is one src/config/config.ts reads (or one a
 * USM_CONFIG `env:` reference names), every secret reference resolves, loadConfig accepts
 * what each one sets, and replicas share one Redis. Nothing here needs a cluster or Docker.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { ConfigError, loadConfig, type Config } from '../../src/config/config.js';
import { PACKAGE_ROOT } from '../../src/config/package.root.js';
import { SCHEMA_FILE } from '../../src/graph/schema.file.js';
import { COMPOSE_FACADE_URL, SUPERGRAPH_FILE } from '../../src/graph/supergraph.file.js';
import { formatApiKey, newKeyId, newSecret } from '../../src/keys/api-key.format.js';
import { OPERATIONS_DIR } from '../../src/server/playground.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/simulator.js';
import {
  composeBindMounts,
  composeEnvironment,
  composeFile,
  configVariables,
  containerPortOf,
  copiesOf,
  DEPLOY_DIR,
  DOCKERIGNORE,
  dockerfileStages,
  durationSeconds,
  envOf,
  kubernetesFiles,
  kustomization,
  lineage,
  readText,
  selects,
  shutdownDeadlineSeconds,
  type ComposeService,
  type Container,
  type Manifest,
} from './manifests.fixture.js';

const VARIABLES = configVariables();
/** What the facade uses when a variable is unset (PORT 4000, METRICS_PORT 9464, …). */
const DEFAULTS = loadConfig({});
const FACADE_IMAGE = 'usm-graphql-facade';
const isFacadeImage = (image: string | undefined) => image !== undefined && (image === FACADE_IMAGE || image.startsWith(`${FACADE_IMAGE}:`));

/** A value of the form the variable needs, never a real secret. */
function placeholderFor(name: string): string {
  if (name === 'FACADE_SECRET_KEY') return randomBytes(32).toString('hex');
  if (name === 'FACADE_ADMIN_KEY') return formatApiKey(newKeyId(), newSecret());
  return `placeholder-${name.toLowerCase().replace(/_/g, '-')}`;
}

/** The variables a USM_CONFIG file's `env:NAME` secrets name. */
function envReferencesOf(usmConfig: string): string[] {
  const file = parse(usmConfig) as { central?: { clientSecret?: string }; deployments?: Array<{ clientSecret?: string }> };
  return [file.central, ...(file.deployments ?? [])]
    .map((entry) => entry?.clientSecret)
    .filter((secret): secret is string => typeof secret === 'string' && secret.startsWith('env:'))
    .map((secret) => secret.slice('env:'.length));
}

function assertReadByTheCode(where: string, names: Iterable<string>, references: string[]): void {
  for (const name of names) {
    assert.ok(
      VARIABLES.has(name) || references.includes(name),
      `${where} sets ${name}, which src/config/config.ts does not read (and no env: reference in USM_CONFIG names it)`,
    );
  }
}

function loadOrExplain(where: string, env: NodeJS.ProcessEnv): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) assert.fail(`loadConfig refuses what ${where} sets:\n${error.message}`);
    throw error;
  }
}

let scratch: string;
before(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'usm-deploy-test-'));
});
after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('the Kubernetes manifests (deploy/kubernetes)', () => {
  const files = kubernetesFiles();
  const manifests = files.flatMap((file) => file.documents);
  const ofKind = (kind: string) => manifests.filter((manifest) => manifest.kind === kind);
  const one = (kind: string): Manifest => {
    const found = ofKind(kind);
    assert.equal(found.length, 1, `deploy/kubernetes should hold one ${kind}, found ${found.length}`);
    return found[0]!;
  };
  const workloads = manifests.filter((manifest) => manifest.spec?.template !== undefined);
  const deployment = (() => {
    const found = ofKind('Deployment').filter((d) => d.spec!.template!.spec.containers.some((c) => isFacadeImage(c.image)));
    assert.equal(found.length, 1, `one Deployment should run the ${FACADE_IMAGE} image, found ${found.length}`);
    return found[0]!;
  })();
  const pod = deployment.spec!.template!;
  const facade: Container = pod.spec.containers.find((c) => isFacadeImage(c.image))!;
  const secret = one('Secret');
  const secretValues: Record<string, string> = { ...secret.stringData, ...Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()])) };
  const env = facade.env ?? [];
  const plainValue = (name: string) => env.find((e) => e.name === name)?.value;

  /** The USM_CONFIG file the facade reads: the ConfigMap key mounted at its path. */
  const usmConfig = (() => {
    const where = plainValue('USM_CONFIG');
    if (where === undefined) return undefined;
    const mount = (facade.volumeMounts ?? []).find((m) => where.startsWith(`${m.mountPath.replace(/\/$/, '')}/`));
    assert.ok(mount !== undefined, `USM_CONFIG=${where} is under no volumeMount of the facade container`);
    const volume = (pod.spec.volumes ?? []).find((v) => v.name === mount.name);
    assert.ok(volume?.configMap !== undefined, `the volume ${mount.name} mounted for USM_CONFIG should be a ConfigMap`);
    const relative = path.posix.relative(mount.mountPath, where);
    const key = volume.configMap.items?.find((item) => item.path === relative)?.key ?? relative;
    const configMap = ofKind('ConfigMap').find((c) => c.metadata.name === volume.configMap!.name);
    assert.ok(configMap !== undefined, `USM_CONFIG's ConfigMap ${volume.configMap.name} is not in deploy/kubernetes`);
    const text = configMap.data?.[key];
    assert.ok(text !== undefined, `ConfigMap ${configMap.metadata.name} has no key ${key} (USM_CONFIG=${where})`);
    return { text, key };
  })();
  const references = usmConfig === undefined ? [] : envReferencesOf(usmConfig.text);

  /** The facade container's environment, each Secret value replaced by `secretOf(key)`. */
  function environment(secretOf: (key: string) => string): NodeJS.ProcessEnv {
    const values: NodeJS.ProcessEnv = {};
    for (const variable of env) {
      const ref = variable.valueFrom?.secretKeyRef;
      if (ref !== undefined) values[variable.name] = secretOf(ref.key);
      else if (variable.value !== undefined) values[variable.name] = variable.value;
      else assert.fail(`${variable.name} comes from ${JSON.stringify(variable.valueFrom)}, which this test cannot follow`);
    }
    if (usmConfig !== undefined) {
      const file = path.join(mkdtempSync(path.join(scratch, 'k8s-')), usmConfig.key);
      writeFileSync(file, usmConfig.text);
      values['USM_CONFIG'] = file;
    }
    return values;
  }
  const config = () => loadOrExplain('the facade Deployment', environment(placeholderFor));

  it('hold one resource per file, without a namespace', () => {
    for (const { file, documents } of files) {
      assert.equal(documents.length, 1, `deploy/kubernetes/${file} should hold one resource, holds ${documents.length}`);
      assert.equal(documents[0]!.metadata.namespace, undefined, `deploy/kubernetes/${file} should leave the namespace to kubectl -n`);
    }
  });

  it('are all applied by kustomization.yaml but the Secret template, with the Deployment’s image', () => {
    const { resources, images } = kustomization();
    const expected = files.filter(({ documents }) => documents[0]!.kind !== 'Secret').map(({ file }) => file);
    assert.deepEqual([...resources].sort(), expected.sort());
    const secretFile = files.find(({ documents }) => documents[0]!.kind === 'Secret')!.file;
    assert.ok(!resources.includes(secretFile), `${secretFile} holds placeholders: applying it would replace the real Secret`);
    assert.ok(images?.some((image) => image.name === facade.image.split(':')[0]), `kustomization.yaml images should name ${facade.image.split(':')[0]}`);
  });

  it('set only variables the code reads in the facade container', () => {
    assert.equal(facade.envFrom, undefined, 'envFrom hides which variables are set: list them under env');
    assertReadByTheCode('the facade Deployment', env.map((e) => e.name), references);
  });

  it('set an environment loadConfig accepts, once the Secret holds values of the right form', () => {
    const loaded = config();
    assert.equal(loaded.nodeEnv, 'production');
    assert.ok(loaded.redisUrl !== undefined, 'REDIS_URL must be set: replicas share tokens, quota, caches and keys through it');
    assert.ok(loaded.credentials.secretKey !== undefined, 'FACADE_SECRET_KEY should be set from the Secret');
    assert.ok(loaded.keys.adminKey !== undefined, 'FACADE_ADMIN_KEY should be set from the Secret, or each replica could print a key of its own');
    assert.equal(loaded.upstream.mode, 'configured', 'without upstreams each replica would start an embedded simulator of its own');
  });

  it('keep the facade from starting while FACADE_SECRET_KEY or FACADE_ADMIN_KEY holds its placeholder', () => {
    for (const left of ['FACADE_SECRET_KEY', 'FACADE_ADMIN_KEY']) {
      assert.throws(
        () => loadConfig(environment((key) => (key === left ? secretValues[key]! : placeholderFor(key)))),
        (error: unknown) => error instanceof ConfigError && error.problems.some((p) => p.startsWith(`${left}:`)),
        `${left} as the Secret template has it should be refused`,
      );
    }
  });

  it('resolve every secretKeyRef and every env: reference of USM_CONFIG to a key of the Secret', () => {
    const used = new Set<string>();
    for (const workload of workloads) {
      for (const container of workload.spec!.template!.spec.containers) {
        for (const variable of container.env ?? []) {
          const ref = variable.valueFrom?.secretKeyRef;
          if (ref === undefined) continue;
          assert.equal(ref.name, secret.metadata.name, `${variable.name} refers to Secret ${ref.name}; the Secret is ${secret.metadata.name}`);
          assert.ok(ref.key in secretValues, `${variable.name} refers to key ${ref.key}, which Secret ${secret.metadata.name} does not define`);
          used.add(ref.key);
        }
      }
    }
    assert.ok(references.length > 0, 'USM_CONFIG should give its client secrets as env: references');
    for (const name of references) {
      const variable = env.find((e) => e.name === name);
      assert.ok(variable?.valueFrom?.secretKeyRef !== undefined, `USM_CONFIG refers to env:${name}, which the facade container does not set from the Secret`);
    }
    assert.deepEqual(Object.keys(secretValues).filter((key) => !used.has(key)), [], 'Secret keys nothing refers to');
  });

  it('give the Secret FACADE_SECRET_KEY, FACADE_ADMIN_KEY and the upstream secrets as placeholders, and say how to create it with kubectl', () => {
    for (const key of ['FACADE_SECRET_KEY', 'FACADE_ADMIN_KEY', ...references]) assert.ok(key in secretValues, `the Secret should hold ${key}`);
    for (const [key, value] of Object.entries(secretValues)) {
      assert.match(value, /REPLACE_ME/, `the Secret's ${key} should be an obvious placeholder`);
      assert.doesNotMatch(value, /^[0-9a-f]{64}$|usmf_[0-9A-Za-z]{12}_/i, `the Secret's ${key} looks like a real secret`);
    }
    const text = readText(path.join(DEPLOY_DIR, 'kubernetes', files.find(({ documents }) => documents[0] === secret)!.file));
    assert.match(text, new RegExp(`kubectl create secret generic ${secret.metadata.name}\\b`));
    for (const key of Object.keys(secretValues)) assert.match(text, new RegExp(`--from-literal=${key}=`), `the kubectl command should set ${key}`);
  });

  it('probe readiness on /readyz and liveness on /healthz, at the port PORT sets', () => {
    const { port } = config();
    assert.equal(port, DEFAULTS.port);
    const probes = { readinessProbe: '/readyz', livenessProbe: '/healthz', startupProbe: '/healthz' } as const;
    for (const [probe, expected] of Object.entries(probes) as Array<[keyof typeof probes, string]>) {
      const httpGet = facade[probe]?.httpGet;
      if (probe === 'startupProbe' && facade[probe] === undefined) continue;
      assert.ok(httpGet !== undefined, `the facade container needs an httpGet ${probe}`);
      assert.equal(httpGet.path, expected, `${probe} path`);
      assert.equal(containerPortOf(facade, httpGet.port), port, `${probe} should hit the container port PORT=${port} sets`);
    }
  });

  it('expose METRICS_PORT to Prometheus as deploy/prometheus/prometheus.yml scrapes it', () => {
    const { metricsPort } = config();
    assert.equal(metricsPort, DEFAULTS.metricsPort);
    assert.ok(facade.ports?.some((p) => p.containerPort === metricsPort), `the facade container should declare METRICS_PORT=${metricsPort}`);
    const prometheus = parse(readText(path.join(DEPLOY_DIR, 'prometheus', 'prometheus.yml'))) as {
      scrape_configs: Array<{ job_name: string; metrics_path?: string; static_configs?: Array<{ targets: string[] }> }>;
    };
    const job = prometheus.scrape_configs.find((j) => j.job_name === 'usm-facade');
    assert.ok(job !== undefined, 'prometheus.yml has the job usm-facade');
    const annotations = pod.metadata.annotations ?? {};
    assert.equal(annotations['prometheus.io/scrape'], 'true');
    assert.equal(annotations['prometheus.io/port'], String(metricsPort));
    assert.equal(annotations['prometheus.io/path'], job.metrics_path ?? '/metrics');
    for (const target of job.static_configs?.flatMap((c) => c.targets) ?? []) assert.equal(target.split(':').pop(), String(metricsPort), `prometheus.yml target ${target}`);
  });

  it('route the facade Service to the container port PORT sets, and every Service to a port of its pods', () => {
    const { port } = config();
    const services = ofKind('Service');
    for (const service of services) {
      const selected = workloads.filter((w) => selects(service.spec!.selector, w.spec!.template!.metadata.labels));
      assert.equal(selected.length, 1, `Service ${service.metadata.name} should select the pods of one workload, selects ${selected.length}`);
      for (const servicePort of service.spec!.ports ?? []) {
        const target = servicePort.targetPort ?? servicePort.port;
        const resolved = selected[0]!.spec!.template!.spec.containers.map((c) => containerPortOf(c, target)).find((p) => p !== undefined);
        assert.ok(resolved !== undefined, `Service ${service.metadata.name} targets ${target}, which no container of ${selected[0]!.metadata.name} declares`);
      }
    }
    const front = services.filter((s) => selects(s.spec!.selector, pod.metadata.labels));
    assert.equal(front.length, 1, 'one Service should select the facade pods');
    const targets = front[0]!.spec!.ports!.map((p) => containerPortOf(facade, p.targetPort ?? p.port));
    assert.deepEqual(targets, [port], `the facade Service should target PORT=${port} only (not METRICS_PORT)`);
  });

  it('give the facade a PodDisruptionBudget that selects its pods only and lets one go at a time', () => {
    const budget = one('PodDisruptionBudget');
    assert.ok(selects(budget.spec!.selector?.matchLabels, pod.metadata.labels), 'the PodDisruptionBudget should select the Deployment’s pod labels');
    for (const other of workloads.filter((w) => w !== deployment)) {
      assert.ok(!selects(budget.spec!.selector?.matchLabels, other.spec!.template!.metadata.labels), `the PodDisruptionBudget also selects ${other.metadata.name}`);
    }
    const replicas = deployment.spec!.replicas!;
    const { maxUnavailable, minAvailable } = budget.spec!;
    if (maxUnavailable !== undefined) assert.equal(maxUnavailable, 1);
    else assert.ok(typeof minAvailable === 'number' && minAvailable >= 1 && minAvailable < replicas, `minAvailable ${minAvailable} of ${replicas} replicas`);
  });

  it('run at least three replicas of the facade on one Redis that is in the manifests', () => {
    assert.ok((deployment.spec!.replicas ?? 1) >= 3, `replicas: ${deployment.spec!.replicas}`);
    assert.ok(selects(deployment.spec!.selector!.matchLabels, pod.metadata.labels), 'the Deployment’s selector should match its pod labels');
    const url = new URL(config().redisUrl!);
    const service = ofKind('Service').find((s) => s.metadata.name === url.hostname);
    assert.ok(service !== undefined, `REDIS_URL names ${url.hostname}, which is no Service of deploy/kubernetes`);
    const port = Number(url.port || 6379);
    const servicePort = service.spec!.ports!.find((p) => p.port === port);
    assert.ok(servicePort !== undefined, `Service ${url.hostname} has no port ${port}`);
    const redis = workloads.find((w) => selects(service.spec!.selector, w.spec!.template!.metadata.labels))!;
    assert.match(redis.spec!.template!.spec.containers[0]!.image, /^redis:/);
    assert.equal(redis.spec!.replicas, 1, 'one Redis: every replica must see the same quota window and keys');
  });

  it('let only the facade’s pods reach Redis', () => {
    const policy = one('NetworkPolicy');
    const redis = workloads.find((w) => w.spec!.template!.spec.containers.some((c) => c.image.startsWith('redis:')))!;
    assert.ok(selects(policy.spec!.podSelector!.matchLabels, redis.spec!.template!.metadata.labels), 'the NetworkPolicy should select the Redis pods');
    const ingress = policy.spec!.ingress ?? [];
    assert.equal(ingress.length, 1);
    assert.ok(ingress[0]!.from!.every((peer) => selects(peer.podSelector?.matchLabels, pod.metadata.labels)), 'only the facade pods may connect');
    const redisPort = containerPortOf(redis.spec!.template!.spec.containers[0]!, 'redis');
    assert.deepEqual(ingress[0]!.ports!.map((p) => p.port), [redisPort]);
  });

  it('run every container as a non-root user that cannot gain privileges', () => {
    for (const workload of workloads) {
      const podContext = workload.spec!.template!.spec.securityContext ?? {};
      for (const container of workload.spec!.template!.spec.containers) {
        const where = `${workload.kind} ${workload.metadata.name}, container ${container.name}`;
        const context = { ...podContext, ...container.securityContext };
        assert.equal(context.runAsNonRoot, true, `${where}: runAsNonRoot`);
        assert.ok(typeof context.runAsUser === 'number' && context.runAsUser > 0, `${where}: runAsUser should be a non-zero uid`);
        assert.equal(context.allowPrivilegeEscalation, false, `${where}: allowPrivilegeEscalation`);
      }
    }
  });

  it('turn service links off, so no Service can inject a variable such as METRICS_PORT', () => {
    assert.equal(pod.spec.enableServiceLinks, false, 'a Service named "metrics" would set METRICS_PORT=tcp://…, one named "redis" REDIS_PORT');
  });

  it('give a terminating pod time for its preStop pause and the facade’s whole drain', () => {
    const preStop = facade.lifecycle?.preStop;
    const pause = preStop?.sleep?.seconds ?? (preStop?.exec?.command[0] === 'sleep' ? Number(preStop.exec.command[1]) : 0);
    const grace = pod.spec.terminationGracePeriodSeconds ?? 30;
    assert.ok(pause + shutdownDeadlineSeconds() < grace, `preStop ${pause} s + drain ${shutdownDeadlineSeconds()} s should fit in ${grace} s`);
  });
});

describe('the compose file (deploy/docker-compose.yml)', () => {
  const { services } = composeFile();
  const entries = Object.entries(services);
  const facades = entries.filter(([, s]) => isFacadeImage(s.image) && s.command === undefined);
  const simulators = entries.filter(([, s]) => isFacadeImage(s.image) && JSON.stringify(s.command ?? '').includes('simulator.cli.js'));
  let simulator: RunningSimulator;
  before(async () => {
    simulator = await startSimulator({ alarmsPerDeployment: 0 });
  });
  after(async () => {
    await simulator.stop();
  });

  /** A replica's environment, USM_CONFIG pointing at the bind-mounted file, pass-through names from `shell`. */
  function environment(service: ComposeService, shell: (name: string) => string | undefined): NodeJS.ProcessEnv {
    const values: NodeJS.ProcessEnv = {};
    for (const [name, value] of composeEnvironment(service)) {
      const resolved = value ?? shell(name);
      if (resolved !== undefined) values[name] = resolved;
    }
    const usmConfig = values['USM_CONFIG'];
    if (usmConfig !== undefined) {
      const host = composeBindMounts(service).get(usmConfig);
      assert.ok(host !== undefined && existsSync(host), `USM_CONFIG=${usmConfig} should be a file of deploy/ mounted into the replica`);
      values['USM_CONFIG'] = host;
    }
    return values;
  }
  const config = (name: string, service: ComposeService) => loadOrExplain(`compose service ${name}`, environment(service, placeholderFor));

  it('runs three facade replicas on one REDIS_URL, one Redis and one simulator', () => {
    assert.equal(facades.length, 3, `facade replicas: ${facades.map(([n]) => n).join(', ')}`);
    assert.equal(simulators.length, 1, 'one simulator service');
    const urls = new Set(facades.map(([name, s]) => config(name, s).redisUrl));
    assert.equal(urls.size, 1, `the replicas should share one REDIS_URL, have ${[...urls].join(', ')}`);
    const url = new URL([...urls][0]!);
    assert.match(services[url.hostname]?.image ?? '', /^redis:/, `REDIS_URL names ${url.hostname}, which should be the Redis service`);
    assert.equal(entries.filter(([, s]) => /^redis:/.test(s.image ?? '')).length, 1);
  });

  it('sets only variables the code reads, in an environment loadConfig accepts with or without the shell’s keys', () => {
    for (const [name, service] of facades) {
      assertReadByTheCode(`compose service ${name}`, composeEnvironment(service).keys(), []);
      const filled = config(name, service);
      assert.equal(filled.nodeEnv, 'production');
      assert.ok(filled.credentials.secretKey !== undefined && filled.keys.adminKey !== undefined, 'FACADE_SECRET_KEY and FACADE_ADMIN_KEY pass through from the shell');
      loadOrExplain(`compose service ${name} (shell keys unset)`, environment(service, () => undefined));
    }
  });

  it('points every replica at the one simulator service, with its deployments and demo clients', () => {
    const [simulatorName, simulatorService] = simulators[0]!;
    const command = simulatorService.command as string[];
    assert.deepEqual(command.slice(0, 2), ['node', 'dist/src/simulator/simulator.cli.js']);
    assert.equal(command[command.indexOf('--host') + 1], '0.0.0.0', 'the simulator must listen beyond its own container');
    const port = command.indexOf('--port') < 0 ? '4100' : command[command.indexOf('--port') + 1]!;
    const pathOf = (url: string) => new URL(url).pathname;
    const expected = {
      central: { path: pathOf(simulator.central.url), clientId: simulator.central.clientId, clientSecret: simulator.central.clientSecret },
      deployments: simulator.deployments.map((d) => ({ name: d.name, path: pathOf(d.url), clientId: d.clientId, clientSecret: d.clientSecret })),
    };
    for (const [name, service] of facades) {
      const { upstream } = config(name, service);
      assert.equal(upstream.mode, 'configured', `${name} would start an embedded simulator of its own`);
      if (upstream.mode !== 'configured') return;
      for (const target of [upstream.central!, ...upstream.deployments]) {
        assert.equal(new URL(target.url).host, `${simulatorName}:${port}`, `${name}: ${target.name} should be on the simulator service`);
      }
      const { central, deployments } = upstream;
      assert.deepEqual(
        {
          central: { path: pathOf(central!.url), clientId: central!.clientId, clientSecret: central!.clientSecret },
          deployments: deployments.map((d) => ({ name: d.name, path: pathOf(d.url), clientId: d.clientId, clientSecret: d.clientSecret })),
        },
        expected,
      );
    }
  });

  it('checks each replica’s health on /readyz at PORT and exposes PORT and METRICS_PORT', () => {
    for (const [name, service] of facades) {
      const { port, metricsPort } = config(name, service);
      assert.equal(port, DEFAULTS.port);
      assert.equal(metricsPort, DEFAULTS.metricsPort);
      const test = JSON.stringify(service.healthcheck?.test ?? '');
      assert.ok(test.includes(`http://127.0.0.1:${port}/readyz`), `${name}: the healthcheck should ask /readyz on PORT=${port}: ${test}`);
      assert.deepEqual((service.expose ?? []).map(Number).sort(), [port, metricsPort].sort(), `${name} exposes`);
    }
  });

  it('fronts the replicas with nginx round robin on port 4000, WebSocket upgrades on /graphql included', () => {
    const fronts = entries.filter(([, s]) => /^nginx:/.test(s.image ?? ''));
    assert.equal(fronts.length, 1, 'one nginx front');
    const [, front] = fronts[0]!;
    const [hostPort, containerPort] = front.ports![0]!.split(':').slice(-2);
    assert.equal(Number(hostPort), DEFAULTS.port);
    const conf = [...composeBindMounts(front).values()].find((file) => file.endsWith('.conf'));
    assert.ok(conf !== undefined, 'the front mounts an nginx config of deploy/');
    const text = readText(conf).replace(/#.*$/gm, '');
    assert.match(text, new RegExp(`listen\\s+${containerPort};`));
    const upstream = /upstream\s+(\S+)\s*\{([^}]*)\}/.exec(text);
    assert.ok(upstream !== null, 'an upstream block');
    assert.doesNotMatch(upstream[2]!, /\b(ip_hash|hash|least_conn|least_time|random)\b/, 'round robin is nginx’s default balancing');
    const servers = [...upstream[2]!.matchAll(/server\s+([\w.-]+):(\d+)/g)].map(([, host, port]) => `${host}:${port}`).sort();
    const expected = facades.map(([name, service]) => `${name}:${config(name, service).port}`).sort();
    assert.deepEqual(servers, expected);
    const graphql = /location\s+(?:\^~\s+|=\s+)?\/graphql\s*\{([^}]*)\}/.exec(text);
    assert.ok(graphql !== null, 'a location for /graphql');
    assert.match(graphql[1]!, new RegExp(`proxy_pass\\s+http://${upstream[1]};`));
    assert.match(text, /proxy_http_version\s+1\.1;/);
    assert.match(graphql[1]!, /proxy_set_header\s+Upgrade\s+\$http_upgrade;/);
    assert.match(graphql[1]!, /proxy_set_header\s+Connection\s+(\$connection_upgrade|"upgrade");/);
  });

  it('gives a replica longer to stop than the facade’s drain', () => {
    for (const [name, service] of facades) {
      const grace = durationSeconds(service.stop_grace_period ?? '10s');
      assert.ok(grace > shutdownDeadlineSeconds(), `${name}: stop_grace_period ${grace} s, drain up to ${shutdownDeadlineSeconds()} s`);
    }
  });

  it('puts Hive Gateway in front of the front, with the tested config, the committed supergraph and the facade’s cost limit', () => {
    const routers = entries.filter(([, s]) => /^ghcr\.io\/graphql-hive\/gateway:/.test(s.image ?? ''));
    assert.equal(routers.length, 1, 'one Hive Gateway service');
    const [, router] = routers[0]!;
    const mounts = composeBindMounts(router);
    assert.equal(mounts.get('/gateway/gateway.config.ts'), path.join(DEPLOY_DIR, 'hive-gateway', 'gateway.config.ts'), 'the config test/federation runs');
    const supergraph = mounts.get('/gateway/supergraph.graphql');
    assert.equal(supergraph, SUPERGRAPH_FILE);
    assert.deepEqual((router.command as string[]).slice(0, 2), ['supergraph', '/gateway/supergraph.graphql']);
    const url = /@join__graph\(name: "usm", url: "([^"]+)"\)/.exec(readText(supergraph))?.[1];
    assert.equal(url, COMPOSE_FACADE_URL);
    const front = new URL(url);
    assert.match(services[front.hostname]?.image ?? '', /^nginx:/, 'the router reaches the replicas through the front');
    assert.equal(Number(front.port), DEFAULTS.port);
    assert.equal(Number(composeEnvironment(router).get('MAX_OPERATION_COST')), DEFAULTS.queryLimits.maxOperationCost);
  });

  it('builds the replicas and the simulator from the repository’s Dockerfile', () => {
    for (const [name, service] of [...facades, ...simulators]) {
      const build = service.build as { context: string; dockerfile?: string } | undefined;
      assert.ok(build !== undefined, `${name} has no build`);
      assert.equal(path.resolve(DEPLOY_DIR, build.context), PACKAGE_ROOT, `${name}: the build context should be the repository`);
      assert.equal(build.dockerfile ?? 'Dockerfile', 'Dockerfile');
    }
  });
});

describe('the Dockerfile', () => {
  const stages = dockerfileStages();
  const final = stages[stages.length - 1]!;
  const lastOf = (keyword: string) => final.instructions.filter((i) => i.keyword === keyword).pop()?.args;
  const ranIn = (stage: string | undefined, pattern: RegExp) => {
    const found = stages.find((s) => s.name !== undefined && s.name === stage);
    assert.ok(found !== undefined, `COPY --from=${stage}: no such stage`);
    return lineage(stages, found).some((s) => s.instructions.some((i) => i.keyword === 'RUN' && pattern.test(i.args)));
  };

  it('runs on Node 24 as a non-root user', () => {
    assert.match(final.from, /^node:24(\.[\d.]+)?(-[\w.-]+)?$/, `the final stage is FROM ${final.from}`);
    const user = lastOf('USER');
    assert.ok(user !== undefined, 'the final stage needs a USER');
    assert.doesNotMatch(user, /^(root|0)(:|$)/, `USER ${user}`);
  });

  it('exposes PORT and METRICS_PORT and runs dist/src/main.js in production', () => {
    const env = envOf(final);
    assertReadByTheCode('the Dockerfile', env.keys(), []);
    const config = loadOrExplain('the Dockerfile', Object.fromEntries(env));
    assert.equal(config.nodeEnv, 'production');
    const exposed = (lastOf('EXPOSE') ?? '').split(/\s+/).map((p) => Number(p.split('/')[0]));
    assert.deepEqual(exposed.sort(), [config.port, config.metricsPort].sort());
    const cmd = JSON.parse(lastOf('CMD') ?? 'null') as string[] | null;
    assert.deepEqual(cmd, ['node', 'dist/src/main.js'], 'CMD in exec form, so node is PID 1 and receives SIGTERM');
    const { main } = JSON.parse(readText(path.join(PACKAGE_ROOT, 'package.json'))) as { main: string };
    assert.equal(main, cmd[1]);
  });

  it('ships the compiled code, production dependencies and the files the code reads from its package root', () => {
    const workdir = lastOf('WORKDIR') ?? '/';
    const copies = copiesOf(final);
    const shipped = copies.map((copy) => path.posix.resolve(workdir, copy.destination));
    const needed = [
      'package.json',
      'dist/src',
      'node_modules',
      path.relative(PACKAGE_ROOT, SCHEMA_FILE),
      path.relative(PACKAGE_ROOT, OPERATIONS_DIR),
      'playground',
      path.relative(PACKAGE_ROOT, DEFAULTS.trustedDocumentsFile),
    ];
    for (const file of needed) {
      const inImage = path.posix.join(workdir, file);
      assert.ok(shipped.some((dest) => inImage === dest || inImage.startsWith(`${dest}/`)), `the image lacks ${file} (under ${workdir})`);
    }
    const modules = copies.find((c) => path.posix.resolve(workdir, c.destination) === path.posix.join(workdir, 'node_modules'))!;
    assert.ok(ranIn(modules.from, /npm ci\b.*--omit=dev/), 'node_modules should come from a stage that ran npm ci --omit=dev');
    const dist = copies.find((c) => path.posix.resolve(workdir, c.destination).startsWith(path.posix.join(workdir, 'dist')))!;
    assert.ok(ranIn(dist.from, /npm run build\b/), 'dist/ should come from a stage that ran npm run build');
    for (const from of [modules.from, dist.from]) {
      assert.ok(ranIn(from, /apt-get install[^&]*\bpython3\b[^&]*\bmake\b[^&]*\bg\+\+/), `stage ${from} needs python3, make and g++ for sqlite3`);
    }
    const runtime = lineage(stages, final);
    assert.ok(!runtime.some((s) => s.instructions.some((i) => i.keyword === 'RUN' && /\bg\+\+/.test(i.args))), 'no build tools in the runtime stage');
  });

  it('copies from the build context only what exists and what .dockerignore lets in', () => {
    const ignore = readText(DOCKERIGNORE)
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    assert.equal(ignore[0], '*', '.dockerignore should be an allow-list (starting with *), so no .env or data/ reaches the context');
    const allowed = ignore.slice(1).map((line) => {
      assert.ok(line.startsWith('!'), `.dockerignore: ${line} after * should re-include (!)`);
      return line.slice(1).replace(/\/$/, '');
    });
    for (const secretish of ['.env', 'data', 'node_modules', 'dist', '.git']) assert.ok(!allowed.includes(secretish), `.dockerignore lets ${secretish} in`);
    for (const stage of stages) {
      for (const copy of copiesOf(stage).filter((c) => c.from === undefined)) {
        for (const source of copy.sources) {
          const relative = source.replace(/^\.\//, '').replace(/\/$/, '');
          assert.ok(existsSync(path.join(PACKAGE_ROOT, relative)), `COPY ${source}: not in the repository`);
          assert.ok(allowed.some((a) => relative === a || relative.startsWith(`${a}/`)), `COPY ${source}: .dockerignore keeps it out of the context`);
        }
      }
    }
  });
});
