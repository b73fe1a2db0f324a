/**
 * Grafbase Gateway in front of the facade, as a real process: `grafbase dev` composes
 * the subgraphs itself from their SDL files and serves the supergraph on a free port.
 *
 * Contract:
 * - `GRAFBASE_MISSING` is why the Grafbase tests cannot run here (the CLI is an
 *   optionalDependency shipped for linux x64 only), or undefined: pass it to node:test's
 *   `skip`.
 * - `startGrafbase({ facade, subgraphs })` reads the facade's SDL as it serves it
 *   (`_service { sdl }`, asked with `facade.adminKey`), writes it, each other subgraph's
 *   SDL and a `grafbase.toml` to a new temp dir, starts the gateway and resolves once
 *   it answers a query (at most `READY_WITHIN_MS`). The facade subgraph, `usm`, gets
 *   its `websocket_url` (graphql-ws on `/graphql`: the gateway's subscriptions go
 *   there) and the client's `authorization` header forwarded, on HTTP and on the
 *   WebSocket upgrade alike. Other subgraphs get no header.
 * - The gateway's stdout and stderr go to `logFile` in that dir. If it fails to start,
 *   the error names `logFile`, which is kept; otherwise `stop()` removes the dir.
 * - `stop()` ends the process (SIGTERM, SIGKILL after 5 s) and resolves once it has
 *   exited; safe to call twice. A test process that exits without it SIGKILLs the
 *   gateway, so none outlives its test file.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { postGraphQL } from '../support/graphql.client.js';
import { freePort } from '../../bench/processes.js';

const CLI_PACKAGE = '@grafbase/cli-x86_64-unknown-linux-musl';
/** How long the gateway may take to compose and answer; it takes about a second. */
const READY_WITHIN_MS = 20_000;
const STOP_WITHIN_MS = 5_000;

function findBinary(): string | undefined {
  try {
    const manifest = createRequire(import.meta.url).resolve(`${CLI_PACKAGE}/package.json`);
    const binary = path.join(path.dirname(manifest), 'grafbase');
    return existsSync(binary) ? binary : undefined;
  } catch {
    return undefined;
  }
}

export const GRAFBASE_BINARY = findBinary();

export const GRAFBASE_MISSING: string | undefined =
  GRAFBASE_BINARY !== undefined
    ? undefined
    : `Grafbase's CLI (${CLI_PACKAGE}, an optionalDependency published for linux x64 only) is not installed on ` +
      `${process.platform}/${process.arch}: the tests through Grafbase Gateway are skipped`;

export interface GrafbaseSubgraph {
  name: string;
  /** Its GraphQL endpoint over HTTP. */
  url: string;
  sdl: string;
}

export interface GrafbaseOptions {
  /** The facade: its endpoint, and a key that may read its SDL. */
  facade: { url: string; adminKey: string };
  /** The other subgraphs (e.g. tickets), composed beside the facade. */
  subgraphs: GrafbaseSubgraph[];
}

export interface RunningGrafbase {
  /** The gateway's GraphQL endpoint, e.g. `http://127.0.0.1:41234/graphql`. */
  url: string;
  /** The grafbase.toml it runs with. */
  configFile: string;
  /** Its stdout and stderr. */
  logFile: string;
  stop(): Promise<void>;
}

/** The facade's SDL as a router would fetch it. */
async function facadeSdl(facade: GrafbaseOptions['facade']): Promise<string> {
  const { status, body } = await postGraphQL<{ _service: { sdl: string } }>(facade.url, '{ _service { sdl } }', {}, {
    authorization: `Bearer ${facade.adminKey}`,
  });
  const sdl = body.data?._service.sdl;
  if (sdl === undefined) throw new Error(`the facade at ${facade.url} did not serve its SDL: ${status} ${JSON.stringify(body)}`);
  return sdl;
}

const toml = (text: string) => JSON.stringify(text); // a TOML basic string is a JSON string for these paths and URLs

function configFor(facadeUrl: string, files: Array<{ name: string; url: string; schemaPath: string }>): string {
  const [usm, ...others] = files;
  return [
    `[subgraphs.${usm!.name}]`,
    `url = ${toml(facadeUrl)}`,
    `websocket_url = ${toml(facadeUrl.replace(/^http/, 'ws'))}`,
    `schema_path = ${toml(usm!.schemaPath)}`,
    '',
    `[[subgraphs.${usm!.name}.headers]]`,
    'rule = "forward"',
    'name = "authorization"',
    ...others.flatMap((subgraph) => ['', `[subgraphs.${subgraph.name}]`, `url = ${toml(subgraph.url)}`, `schema_path = ${toml(subgraph.schemaPath)}`]),
    '',
  ].join('\n');
}

/** Resolves once `url` answers `{ __typename }` with data; rejects when the process exits first or time runs out. */
async function untilAnswering(url: string, exited: () => string | undefined): Promise<void> {
  const deadline = Date.now() + READY_WITHIN_MS;
  for (;;) {
    const gone = exited();
    if (gone !== undefined) throw new Error(`exited (${gone}) before it answered`);
    const answered = await postGraphQL(url, '{ __typename }').then(
      (response) => response.status === 200 && response.body.data?.['__typename'] === 'Query',
      () => false,
    );
    if (answered) return;
    if (Date.now() > deadline) throw new Error(`did not answer at ${url} within ${READY_WITHIN_MS / 1000} s`);
    // Real time on purpose: a real gateway process is starting.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function startGrafbase(options: GrafbaseOptions): Promise<RunningGrafbase> {
  if (GRAFBASE_BINARY === undefined) throw new Error(GRAFBASE_MISSING);
  const usm = { name: 'usm', url: options.facade.url, sdl: await facadeSdl(options.facade) };
  const dir = mkdtempSync(path.join(tmpdir(), 'usm-facade-grafbase-'));
  const home = path.join(dir, 'home');
  mkdirSync(home);
  const files = [usm, ...options.subgraphs].map((subgraph) => {
    const schemaPath = path.join(dir, `${subgraph.name}.graphql`);
    writeFileSync(schemaPath, subgraph.sdl);
    return { ...subgraph, schemaPath };
  });
  const configFile = path.join(dir, 'grafbase.toml');
  writeFileSync(configFile, configFor(options.facade.url, files));
  const logFile = path.join(dir, 'grafbase.log');
  const log = openSync(logFile, 'a');
  const port = await freePort();
  // Its own home: the dev server unpacks its UI there, and nothing lands in the user's.
  const child = spawn(GRAFBASE_BINARY, ['--home', home, 'dev', '-c', configFile, '-p', String(port)], {
    cwd: dir,
    env: { ...process.env, HOME: home, NO_COLOR: '1' },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  child.on('error', () => undefined); // a failed spawn shows as an exit, reported while waiting
  const exited = () => (child.exitCode !== null || child.signalCode !== null ? String(child.exitCode ?? child.signalCode) : undefined);
  const orphanGuard = () => {
    if (exited() === undefined) child.kill('SIGKILL');
  };
  process.once('exit', orphanGuard);

  let stopped = false;
  const end = async () => {
    process.removeListener('exit', orphanGuard);
    if (exited() !== undefined) return;
    const gone = once(child, 'exit');
    child.kill('SIGTERM');
    // Real time on purpose: a real gateway process that ignores SIGTERM is killed.
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_WITHIN_MS);
    await gone;
    clearTimeout(timer);
  };
  const url = `http://127.0.0.1:${port}/graphql`;
  try {
    await untilAnswering(url, exited);
  } catch (error) {
    await end();
    throw new Error(`Grafbase Gateway did not start: ${(error as Error).message}; its output is in ${logFile}`);
  }
  return {
    url,
    configFile,
    logFile,
    async stop() {
      if (stopped) return;
      stopped = true;
      await end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
