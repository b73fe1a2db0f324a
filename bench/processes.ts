/**
 * The processes of the bench cases that run the facade as in production: the simulator
 * (`simulator.cli.js`) in a process of its own, the facade (`main.js`, on
 * USM_ANYWHERE_* for the simulator's `acme-east`) in another, and the load generator
 * in the bench process, so neither takes the facade's CPU. Scripts are found beside
 * this file's compiled form (`dist/bench/` spawns `dist/src/`), and `/proc` readings
 * of a child answer NaN where there is no `/proc`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetch } from 'undici';
import { formatApiKey, newKeyId, newSecret } from '../src/keys/api-key.format.js';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** A port nobody listens on now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** CPU seconds (user + system) the process has used so far, from /proc; NaN where there is none. */
export async function cpuSeconds(pid: number): Promise<number> {
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** The process's resident set (VmRSS) in KB, from /proc; NaN where there is none. */
export async function rssKb(pid: number): Promise<number> {
  try {
    const line = (await readFile(`/proc/${pid}/status`, 'utf8')).split('\n').find((l) => l.startsWith('VmRSS:'));
    return line === undefined ? Number.NaN : Number(line.split(/\s+/)[1]);
  } catch {
    return Number.NaN;
  }
}

export interface ChildService {
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `script` under node in a process of its own and waits until `readyUrl` answers 2xx. */
export async function startChild(
  script: string,
  args: string[],
  env: Record<string, string>,
  readyUrl: string,
  nodeArgs: string[] = [],
): Promise<ChildService> {
  const child = spawn(process.execPath, [...nodeArgs, fileURLToPath(new URL(script, import.meta.url)), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  };
  try {
    for (let waited = 0; ; waited += 100) {
      if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}: ${stderr}`);
      if (await fetch(readyUrl).then((r) => r.ok, () => false)) break;
      if (waited > 30_000) throw new Error(`${script} did not answer ${readyUrl} within 30 s: ${stderr}`);
      await sleep(100);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { child, stop };
}

export interface FacadeOnSimulator {
  /** The simulator's base URL; its control API is under `/__sim`. */
  simulatorUrl: string;
  /** The facade's `/graphql` over HTTP. */
  graphqlUrl: string;
  /** The facade's default admin key (FACADE_ADMIN_KEY). */
  adminKey: string;
  facade: ChildProcess;
  /** Stops the facade, then the simulator, and removes the facade's data directory. */
  stop(): Promise<void>;
}

/**
 * Starts a simulator, then a facade on its `acme-east` with a fresh data directory and
 * admin key, production settings and `env` on top; on failure stops what it started.
 */
export async function startFacadeOnSimulator(
  caseName: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<FacadeOnSimulator> {
  const dataDir = await mkdtemp(path.join(tmpdir(), `usm-facade-${caseName}-`));
  const adminKey = formatApiKey(newKeyId(), newSecret());
  const [simPort, facadePort] = [await freePort(), await freePort()];
  const simulatorUrl = `http://127.0.0.1:${simPort}`;
  let simulator: ChildService | undefined;
  try {
    simulator = await startChild('../src/simulator/simulator.cli.js', ['--port', String(simPort)], {}, `${simulatorUrl}/__sim/stats`);
    const facade = await startChild(
      '../src/main.js',
      [],
      {
        NODE_ENV: 'production',
        PORT: String(facadePort),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        FACADE_ADMIN_KEY: adminKey,
        USM_ANYWHERE_URL: `${simulatorUrl}/acme-east/api/2.0`,
        USM_ANYWHERE_NAME: 'acme-east',
        USM_ANYWHERE_CLIENT_ID: 'acme-east-client',
        USM_ANYWHERE_CLIENT_SECRET: 'acme-east-secret',
        ...env,
      },
      `http://127.0.0.1:${facadePort}/healthz`,
      nodeArgs,
    );
    const started = simulator;
    return {
      simulatorUrl,
      graphqlUrl: `http://127.0.0.1:${facadePort}/graphql`,
      adminKey,
      facade: facade.child,
      stop: async () => {
        await facade.stop();
        await started.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await simulator?.stop();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}
