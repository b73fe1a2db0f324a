/**
 * A whole facade cluster on one machine: the USM simulator and N facade replicas (each a
 * process of its own: `simulator.cli.js`, and `main.js` with production settings) on one
 * Redis, and a round-robin front on one port, in this process. `npm run cluster` runs it for people; the
 * cluster tests and bench cases run it to prove what replicas share.
 *
 * Contract:
 * - Every replica reads the same upstreams (a `USM_CONFIG` file naming the simulator's
 *   Central and deployments with their clients), the same `FACADE_ADMIN_KEY`,
 *   `FACADE_SECRET_KEY` and `REDIS_URL`, and a `REDIS_PREFIX` of this run alone, so two
 *   runs on one Redis share nothing and `stop()` deletes the run's keys.
 * - `startCluster` resolves once every replica answers `/readyz` and the front listens;
 *   on any failure it stops what it started and rejects with the replica's stderr.
 * - Ports: the front on `port` and the replicas on the ones after it (`port` 0: each
 *   on a free port). Metrics ports likewise after `metricsPort` (0: none).
 * - `replica.kill('SIGKILL')` kills one without a chance to clean up, as a crash would;
 *   the front then skips it. `stop()` ends the front, the replicas with SIGTERM (they
 *   drain), then the simulator, the run's Redis keys and its temporary folder, and is
 *   safe to call twice. A process that exits without `stop()` SIGKILLs its children.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@redis/client';
import { formatApiKey, newKeyId, newSecret } from '../keys/api-key.format.js';
import type { SimulatedDeployment } from '../simulator/simulator.js';
import { startRoundRobinFront, type RoundRobinFront } from './round-robin.front.js';

export interface ClusterOptions {
  /** Facade processes; default 3. */
  replicas?: number;
  /** The front's port, replicas on the next ones; default 4000. 0: free ports for all. */
  port?: number;
  /** Replica n's metrics on `metricsPort + n - 1`, or each on a free port (`'free'`); default 0: no metrics server. */
  metricsPort?: number | 'free';
  /** The Redis every replica shares; default `redis://127.0.0.1:6379`. */
  redisUrl?: string;
  /** The simulator's port; default 0 (a free one). */
  simulatorPort?: number;
  /** Alarms the simulator makes per deployment; default 2000. */
  alarmsPerDeployment?: number;
  /** More environment for every replica (e.g. `LIVE_POLL_INTERVAL_MS`); it wins over the cluster's. */
  env?: Record<string, string>;
  /** Where replica output goes: a log file each in the run's folder (default), or `inherit` this process's stdio. */
  output?: 'files' | 'inherit';
}

export interface ClusterReplica {
  /** 1-based, as printed. */
  index: number;
  /** `http://127.0.0.1:<port>/graphql` */
  url: string;
  port: number;
  /** `http://127.0.0.1:<port>/metrics`, or undefined without metrics. */
  metricsUrl: string | undefined;
  pid: number;
  /** The replica's log (stdout and stderr), unless output is inherited. */
  logFile: string | undefined;
  /** Whether the process is still running. */
  readonly alive: boolean;
  /** Sends `signal` and resolves when the process has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

export interface RunningCluster {
  /** The front: `http://127.0.0.1:<port>/graphql`, round robin over the live replicas. */
  url: string;
  replicas: ClusterReplica[];
  simulator: ClusterSimulator;
  /** The key every replica adopts as its default admin key. */
  adminKey: string;
  redisUrl: string;
  /** This run's `REDIS_PREFIX`. */
  redisPrefix: string;
  /** The run's folder: USM_CONFIG, logs. Removed by `stop()`. */
  runDir: string;
  stop(): Promise<void>;
}

/** The simulator process: where it is and the clients it made (its defaults: `<name>-client` / `<name>-secret`). */
export interface ClusterSimulator {
  /** e.g. http://127.0.0.1:41234; the control API is under `/__sim/`. */
  url: string;
  deployments: SimulatedDeployment[];
  central: { url: string; clientId: string; clientSecret: string };
  pid: number;
}

const MAIN_SCRIPT = fileURLToPath(new URL('../main.js', import.meta.url));
const SIMULATOR_SCRIPT = fileURLToPath(new URL('../simulator/simulator.cli.js', import.meta.url));
const READY_WITHIN_MS = 60_000;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The simulator's upstreams as a USM_CONFIG file (JSON is YAML); the secrets are the simulator's own test clients. */
function writeUpstreams(simulator: ClusterSimulator, file: string): void {
  writeFileSync(file, JSON.stringify({ central: simulator.central, deployments: simulator.deployments }, null, 2));
}

async function waitUntilReady(child: ChildProcess, readyUrl: string, describe: () => string): Promise<void> {
  const deadline = Date.now() + READY_WITHIN_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited (${child.exitCode ?? child.signalCode}) before it was ready: ${describe()}`);
    const ready = await fetch(readyUrl).then((r) => r.ok, () => false);
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`not ready at ${readyUrl} within ${READY_WITHIN_MS / 1000} s: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Deletes every key of the run (SCAN, not KEYS: a shared Redis stays responsive). */
async function deleteRunKeys(redisUrl: string, prefix: string): Promise<void> {
  const client = createClient({ url: redisUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
      if (keys.length > 0) await client.del(keys);
    }
  } finally {
    client.destroy();
  }
}

interface SpawnedReplica {
  replica: ClusterReplica;
  child: ChildProcess;
  /** The last 4 kB the process wrote, for a failure message. */
  tail(): string;
}

function spawnReplica(index: number, port: number, metricsPort: number, logFile: string | undefined, env: Record<string, string>): SpawnedReplica {
  const child = spawn(process.execPath, [MAIN_SCRIPT], {
    env: { ...process.env, ...env },
    stdio: logFile === undefined ? 'inherit' : ['ignore', 'pipe', 'pipe'],
  });
  child.on('error', () => undefined); // a failed spawn shows as an exit, reported by waitUntilReady
  let tail = '';
  if (logFile !== undefined) {
    const log = createWriteStream(logFile);
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.on('data', (chunk: Buffer) => {
        tail = (tail + chunk.toString()).slice(-4000);
        log.write(chunk);
      });
    }
    child.once('exit', () => log.end());
  }
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const replica: ClusterReplica = {
    index,
    url: `http://127.0.0.1:${port}/graphql`,
    port,
    metricsUrl: metricsPort === 0 ? undefined : `http://127.0.0.1:${metricsPort}/metrics`,
    pid: child.pid ?? 0,
    logFile,
    get alive() {
      return !exited();
    },
    async kill(signal) {
      if (exited()) return;
      const gone = once(child, 'exit');
      child.kill(signal);
      await gone;
    },
  };
  return { replica, child, tail: () => tail };
}

/** Waits for the simulator process to answer, then reads which deployments and clients it made. */
async function simulatorAt(url: string, child: ChildProcess, errors: () => string): Promise<ClusterSimulator> {
  await waitUntilReady(child, `${url}/__sim/stats`, () => `the simulator: ${errors() || '(no output)'}`);
  const { clients } = (await (await fetch(`${url}/__sim/clients`)).json()) as { clients: Array<{ deployment: string; clientId: string }> };
  const secretOf = (clientId: string) => clientId.replace(/-client$/, '-secret');
  const central = clients.find((c) => c.deployment === 'central');
  if (central === undefined) throw new Error(`the simulator at ${url} lists no Central client`);
  return {
    url,
    pid: child.pid ?? 0,
    central: { url: `${url}/central/api/1.1`, clientId: central.clientId, clientSecret: secretOf(central.clientId) },
    deployments: clients
      .filter((c) => c.deployment !== 'central')
      .map((c) => ({ name: c.deployment, url: `${url}/${c.deployment}/api/2.0`, clientId: c.clientId, clientSecret: secretOf(c.clientId) })),
  };
}

export async function startCluster(options: ClusterOptions = {}): Promise<RunningCluster> {
  const count = options.replicas ?? 3;
  if (!Number.isInteger(count) || count < 1 || count > 32) throw new Error(`replicas must be an integer from 1 to 32; got ${count}`);
  const basePort = options.port ?? 4000;
  const redisUrl = options.redisUrl ?? 'redis://127.0.0.1:6379';
  const redisPrefix = `usm-facade-cluster:${randomBytes(4).toString('hex')}:`;
  const runDir = mkdtempSync(path.join(tmpdir(), 'usm-facade-cluster-'));
  const adminKey = formatApiKey(newKeyId(), newSecret());
  const secretKey = randomBytes(32).toString('hex');

  const replicaProcesses: ChildProcess[] = [];
  let simulator: ClusterSimulator | undefined;
  let simulatorChild: ChildProcess | undefined;
  let front: RoundRobinFront | undefined;
  let stopped = false;
  // If this process ends without stop() (an uncaught error, process.exit), its children go with it.
  const orphanGuard = () => {
    for (const child of [...replicaProcesses, simulatorChild]) if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', orphanGuard);
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', orphanGuard);
    const end = async (child: ChildProcess) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    };
    await front?.close();
    await Promise.all(replicaProcesses.map(end)); // the replicas drain while USM still answers
    if (simulatorChild !== undefined) await end(simulatorChild);
    await deleteRunKeys(redisUrl, redisPrefix).catch(() => undefined);
    rmSync(runDir, { recursive: true, force: true });
  };

  try {
    const simulatorPort = options.simulatorPort || (await freePort());
    // Its own process, so the load a bench offers from this one does not slow USM down.
    simulatorChild = spawn(
      process.execPath,
      [SIMULATOR_SCRIPT, '--port', String(simulatorPort), '--alarms', String(options.alarmsPerDeployment ?? 2000)],
      { stdio: ['ignore', 'ignore', 'pipe'] }, // stdout: a line per request, not wanted here
    );
    let simulatorErrors = '';
    simulatorChild.stderr!.on('data', (chunk: Buffer) => (simulatorErrors = (simulatorErrors + chunk.toString()).slice(-4000)));
    simulator = await simulatorAt(`http://127.0.0.1:${simulatorPort}`, simulatorChild, () => simulatorErrors);
    const upstreams = path.join(runDir, 'upstreams.json');
    writeUpstreams(simulator, upstreams);

    const frontPort = basePort === 0 ? await freePort() : basePort;
    const spawned: SpawnedReplica[] = [];
    for (let index = 1; index <= count; index++) {
      const port = basePort === 0 ? await freePort() : basePort + index;
      const metricsPort = options.metricsPort === 'free' ? await freePort() : options.metricsPort ? options.metricsPort + index - 1 : 0;
      const logFile = options.output === 'inherit' ? undefined : path.join(runDir, `replica-${index}.log`);
      const replica = spawnReplica(index, port, metricsPort, logFile, {
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: String(port),
        METRICS_PORT: String(metricsPort),
        REDIS_URL: redisUrl,
        REDIS_PREFIX: redisPrefix,
        USM_CONFIG: upstreams,
        FACADE_ADMIN_KEY: adminKey,
        FACADE_SECRET_KEY: secretKey,
        DATA_DIR: path.join(runDir, `data-${index}`),
        ...options.env,
      });
      replicaProcesses.push(replica.child);
      spawned.push(replica);
    }
    // Replicas start together; each is waited for on its own readiness.
    await Promise.all(
      spawned.map(({ replica, child, tail }) =>
        waitUntilReady(child, `http://127.0.0.1:${replica.port}/readyz`, () => `replica ${replica.index}: ${tail() || '(no output)'}`),
      ),
    );
    const replicas = spawned.map((s) => s.replica);
    front = await startRoundRobinFront({ port: frontPort, backends: replicas.map((r) => ({ port: r.port, alive: () => r.alive })) });
    return {
      url: `http://127.0.0.1:${front.port}/graphql`,
      replicas,
      simulator,
      adminKey,
      redisUrl,
      redisPrefix,
      runDir,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
