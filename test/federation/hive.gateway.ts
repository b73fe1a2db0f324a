/**
 * Hive Gateway (`@graphql-hive/gateway`) as a real process in front of the facade, with
 * the config the README shows (`deploy/hive-gateway/gateway.config.ts`).
 *
 * Supergraphs are composed with `composeSupergraph` (`src/graph/supergraph.file.ts`, The
 * Guild's composition, what Hive's own tooling uses); `startHiveGateway` writes the supergraph to a temporary directory, starts
 * `hive-gateway supergraph` on a free port and resolves once it answers its health check.
 * `stop()` ends it (it is also killed when the test process exits) and removes the
 * directory; its output is kept in `gateway.log` there until then, and quoted when it
 * fails to start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../src/config/package.root.js';
import { freePort } from '../../bench/processes.js';

export const GATEWAY_CONFIG = path.join(PACKAGE_ROOT, 'deploy', 'hive-gateway', 'gateway.config.ts');
const GATEWAY_PACKAGE = createRequire(import.meta.url).resolve('@graphql-hive/gateway/package.json');
const GATEWAY_BIN = path.join(path.dirname(GATEWAY_PACKAGE), (JSON.parse(readFileSync(GATEWAY_PACKAGE, 'utf8')) as { bin: Record<string, string> }).bin['hive-gateway']!);

export interface RunningGateway {
  /** e.g. http://127.0.0.1:41234/graphql */
  url: string;
  /** The gateway's process, for a bench to read its CPU. */
  pid: number;
  /** The gateway's output so far. */
  log(): string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function startHiveGateway(options: { supergraph: string; env?: Record<string, string> }): Promise<RunningGateway> {
  const dir = mkdtempSync(path.join(tmpdir(), 'usm-hive-gateway-'));
  const supergraphFile = path.join(dir, 'supergraph.graphql');
  const logFile = path.join(dir, 'gateway.log');
  writeFileSync(supergraphFile, options.supergraph);
  writeFileSync(logFile, '');
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [GATEWAY_BIN, 'supergraph', supergraphFile, '--config-path', GATEWAY_CONFIG, '--port', String(port), '--host', '127.0.0.1'],
    // No polling: the supergraph file does not change during a test.
    { cwd: dir, env: { ...process.env, NODE_ENV: 'test', POLLING: '1h', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  const chunks: string[] = [];
  const keep = (chunk: Buffer) => {
    chunks.push(chunk.toString());
    writeFileSync(logFile, chunk, { flag: 'a' });
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const base = `http://127.0.0.1:${port}`;

  const stop = async () => {
    if (running.delete(child)) {
      child.kill('SIGTERM');
      // Real time on purpose: a real gateway process that ignores SIGTERM is killed after 5 s.
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    const ready = await Promise.race([
      fetch(`${base}/healthcheck`).then((response) => response.ok, () => false),
      exited.then(() => 'exited' as const),
    ]);
    if (ready === true) break;
    if (ready === 'exited' || Date.now() > deadline) {
      const output = chunks.join('');
      await stop();
      throw new Error(`Hive Gateway did not start (${ready === 'exited' ? 'it exited' : 'no answer within 60 s'}):\n${output.slice(-4_000)}`);
    }
    // Real time on purpose: a real gateway process is starting.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url: `${base}/graphql`, pid: child.pid!, log: () => readFileSync(logFile, 'utf8'), stop };
}
