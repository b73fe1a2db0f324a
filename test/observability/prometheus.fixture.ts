/**
 * A real Prometheus (the Debian package's `/usr/bin/prometheus`, or one on PATH) for the
 * tests of what operators deploy: the shipped `deploy/prometheus/prometheus.yml` with
 * only what a test must change, on a web port and a TSDB directory of its own, so a
 * packaged Prometheus service on 9090 is never in the way.
 *
 * Contract: `startPrometheus` resolves once `/-/ready` answers 200 and fails with the
 * process's own log when it exits or is not ready within its deadline; `stop()` ends
 * the process (SIGTERM, SIGKILL after 5 s) and removes its directory. `queryUntil` polls
 * the HTTP query API until an answer passes its check, with a deadline: scraping takes
 * real time, and this is the one place a test waits for it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { freePort } from '../../bench/processes.js';

/** The repository, from `<outDir>/test/observability/`. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const SHIPPED_CONFIG = path.join(REPO_ROOT, 'deploy/prometheus/prometheus.yml');
export const SHIPPED_RULES = path.join(REPO_ROOT, 'deploy/prometheus/alerts.yml');

/** Absolute path of a Prometheus tool, or a failure that says how to get it. */
export function prometheusTool(name: 'prometheus' | 'promtool'): string {
  const dirs = [...(process.env['PATH'] ?? '').split(path.delimiter).filter((d) => d !== ''), '/usr/bin'];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new Error(`${name} is not installed: apt-get install prometheus (bash .ci/run does it)`);
}

export interface ToolRun {
  status: number | null;
  output: string;
}

/** Runs promtool with `args` in `cwd`, answering its exit status and stdout + stderr. */
export function promtool(args: string[], cwd = REPO_ROOT): ToolRun {
  const run = spawnSync(prometheusTool('promtool'), args, { cwd, encoding: 'utf8', timeout: 30_000 });
  if (run.error !== undefined) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

export interface PrometheusOptions {
  /** `host:port` of the facade's metrics listener, replacing the shipped targets. */
  target: string;
  /** Scrape and rule evaluation interval; default `1s`. */
  interval?: string;
  /** How long to wait for `/-/ready`; default 15 s. */
  readyTimeoutMs?: number;
}

export interface PrometheusVectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface RunningPrometheus {
  /** e.g. `http://127.0.0.1:41234` */
  url: string;
  /** The config it runs, as written (the shipped one with the test's changes). */
  config: Record<string, unknown>;
  /** An instant query; fails on anything but `status: success` with a vector. */
  query(promql: string): Promise<PrometheusVectorSample[]>;
  /** Polls `query(promql)` every 200 ms until `accept` says yes, failing with the last answer at the deadline (default 30 s). */
  queryUntil(
    promql: string,
    accept: (samples: PrometheusVectorSample[]) => boolean,
    deadlineMs?: number,
  ): Promise<PrometheusVectorSample[]>;
  /** A GET of the HTTP API below `/api/v1/`, its `data`. */
  api<T>(pathAndQuery: string): Promise<T>;
  stop(): Promise<void>;
}

// Real time on purpose: a real Prometheus process, its start-up and its scrapes are what is tested.
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The shipped config with the test's target and interval; the rule files stay as shipped, copied beside it. */
function testConfig(shipped: Record<string, unknown>, { target, interval = '1s' }: PrometheusOptions): Record<string, unknown> {
  const global = { ...(shipped['global'] as Record<string, unknown>), scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval };
  const jobs = shipped['scrape_configs'] as Array<Record<string, unknown>>;
  const facadeJobs = jobs.filter((job) => job['job_name'] === 'usm-facade');
  if (facadeJobs.length !== 1) throw new Error(`the shipped config should have one usm-facade job, has ${facadeJobs.length}`);
  const scrapeConfigs = jobs.map((job) => (job['job_name'] === 'usm-facade' ? { ...job, static_configs: [{ targets: [target] }] } : job));
  return { ...shipped, global, scrape_configs: scrapeConfigs };
}

export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  const binary = prometheusTool('prometheus');
  const dir = await mkdtemp(path.join(tmpdir(), 'usm-facade-prometheus-'));
  const config = testConfig(parse(await readFile(SHIPPED_CONFIG, 'utf8')) as Record<string, unknown>, options);
  await writeFile(path.join(dir, 'prometheus.yml'), stringify(config));
  for (const rules of (config['rule_files'] as string[] | undefined) ?? []) {
    await copyFile(path.join(path.dirname(SHIPPED_CONFIG), rules), path.join(dir, rules));
  }
  // A free port can be taken between asking and listening: then try another.
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await launch(binary, dir, config, options.readyTimeoutMs ?? 15_000);
    } catch (error) {
      if (attempt < 3 && /address already in use/.test((error as Error).message)) continue;
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }
}

async function launch(binary: string, dir: string, config: Record<string, unknown>, readyTimeoutMs: number): Promise<RunningPrometheus> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    binary,
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = once(child, 'exit');
  // A test process that ends without stopping it (a failed before()) takes it along.
  const orphaned = () => child.kill('SIGKILL');
  process.once('exit', orphaned);
  const end = async () => {
    process.off('exit', orphaned);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      // Real time on purpose: a real process that ignores SIGTERM is killed after 5 s.
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    }
  };

  try {
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`prometheus exited (${child.exitCode ?? child.signalCode}):\n${log}`);
      const ready = await fetch(`${url}/-/ready`).then(
        (response) => response.status === 200,
        () => false,
      );
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`prometheus was not ready at ${url} within ${readyTimeoutMs} ms:\n${log}`);
      await delay(100); // the real Prometheus process is not ready yet
    }
  } catch (error) {
    await end();
    throw error;
  }
  const stop = async () => {
    await end();
    await rm(dir, { recursive: true, force: true });
  };

  const api = async <T>(pathAndQuery: string): Promise<T> => {
    const response = await fetch(`${url}/api/v1/${pathAndQuery}`);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus answered ${response.status} to ${pathAndQuery}: ${body.error}`);
    return body.data;
  };
  const query = async (promql: string) => {
    const data = await api<{ resultType: string; result: PrometheusVectorSample[] }>(`query?query=${encodeURIComponent(promql)}`);
    if (data.resultType !== 'vector') throw new Error(`${promql} is a ${data.resultType}, not a vector`);
    return data.result;
  };
  return {
    url,
    config,
    api,
    query,
    async queryUntil(promql, accept, deadlineMs = 30_000) {
      const deadline = Date.now() + deadlineMs;
      for (;;) {
        const samples = await query(promql);
        if (accept(samples)) return samples;
        if (Date.now() > deadline) throw new Error(`prometheus never answered ${promql} as expected within ${deadlineMs} ms; last answer: ${JSON.stringify(samples)}`);
        await delay(200); // the real Prometheus has not scraped or evaluated it yet
      }
    },
    stop,
  };
}
