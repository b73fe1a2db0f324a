import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { postGraphQL } from '../support/graphql.client.js';
import { captureLogs } from '../keys/keys.fixture.js';
import {
  assertNoSecretIn,
  assertUnauthenticated,
  bearer,
  createKey,
  dataOf,
  DELETE,
  observableState,
  RESET,
  REVOKE,
  ROTATE,
  SET_ROTATION,
  VIEWER,
  within,
  type Created,
} from './apikey.fixture.js';

/** Every file under `dir` (the SQLite file and its journal), as text. */
function filesUnder(dir: string): string {
  return readdirSync(dir)
    .map((file) => readFileSync(path.join(dir, file)).toString('latin1'))
    .join('\n');
}

describe('a restart of the facade over the same DATA_DIR', () => {
  it('keeps every key, policy and audit event, and neither the SQLite store nor the logs hold a secret', async () => {
    const secrets: string[] = [];
    const logs = captureLogs();
    let first: TestFacade | undefined = await startTestFacade({}, { keepDataDir: true, facade: { logger: logs.logger } });
    let second: TestFacade | undefined;
    try {
      secrets.push(first.adminKey);
      const dashboard = await createKey(first, { name: 'dashboard', rotation: { interval: 'P30D', gracePeriod: 'P15D' } });
      const labeler = await createKey(first, { name: 'labeler', permissions: ['ALARMS_READ', 'ALARMS_WRITE'] });
      const retired = await createKey(first, { name: 'retired' });
      const temporary = await createKey(first, { name: 'temporary' });
      const rotated = dataOf(await first.gql<{ rotateApiKey: Created }>(ROTATE, { id: dashboard.key.id, gracePeriod: 'P1D' })).rotateApiKey;
      const reset = dataOf(await first.gql<{ resetApiKey: Created }>(RESET, { id: labeler.key.id })).resetApiKey;
      dataOf(await first.gql(SET_ROTATION, { id: labeler.key.id, rotation: { interval: 'P7D', gracePeriod: 'P1D' } }));
      dataOf(await first.gql(REVOKE, { id: retired.key.id }));
      dataOf(await first.gql(DELETE, { id: temporary.key.id }));
      secrets.push(dashboard.secret, labeler.secret, retired.secret, temporary.secret, rotated.secret, reset.secret);
      assertUnauthenticated(await postGraphQL(first.url, VIEWER, {}, bearer(labeler.secret)));
      const before = await observableState(first);
      const dataDir = first.dataDir;
      await first.stop();
      first = undefined;

      second = await startTestFacade({ DATA_DIR: dataDir, FACADE_ADMIN_KEY: secrets[0]! }, { facade: { logger: logs.logger } });
      assert.deepEqual(await observableState(second), before, 'every key, policy and audit event is back');
      const works = async (secret: string) => (await postGraphQL(second!.url, VIEWER, {}, bearer(secret))).status;
      assert.equal(await works(secrets[0]!), 200, 'the admin key');
      assert.equal(await works(rotated.secret), 200, 'the rotated secret');
      assert.equal(await works(dashboard.secret), 200, 'the previous secret, still in its grace period');
      assert.equal(await works(reset.secret), 200, 'the reset secret');
      for (const dead of [labeler.secret, retired.secret, temporary.secret]) assert.equal(await works(dead), 401);

      const logged = logs.text();
      for (const line of ['api key create: dashboard', 'api key rotate: dashboard', 'api key reset: labeler', 'api key revoke: retired', 'api key delete: temporary']) {
        assert.ok(logged.includes(line), `the log shows "${line}"`);
      }
      const stored = filesUnder(second.dataDir);
      assert.ok(stored.includes('dashboard') && stored.includes('labeler'), 'the store file is readable as text, so the search means something');
      assertNoSecretIn(stored, secrets, 'the SQLite store');
      assertNoSecretIn(logged, secrets, 'the logs');
    } finally {
      await first?.stop();
      await second?.stop();
    }
  });
});

/** The facade as a program (`npm start`), with its stdout (the log) and stderr kept. */
class FacadeProcess {
  readonly url: Promise<string>;
  private out = '';
  private err = '';
  private readonly child: ChildProcess;

  constructor(env: Record<string, string>) {
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !/^(USM_|FACADE_|REDIS_URL$|DATA_DIR$|PORT$|HOST$|LOG_LEVEL$)/.test(name)),
    );
    const child = spawn(process.execPath, [MAIN], {
      env: { ...inherited, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', NODE_ENV: 'production', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stderr!.on('data', (chunk: Buffer) => (this.err += chunk.toString('utf8')));
    this.url = (async () => {
      for await (const line of createInterface({ input: child.stdout! })) {
        this.out += `${line}\n`;
        const entry = JSON.parse(line) as { msg: string; url?: string };
        if (entry.msg === 'facade serving GraphQL' && entry.url !== undefined) {
          child.stdout!.on('data', (chunk: Buffer) => (this.out += chunk.toString('utf8')));
          return entry.url;
        }
      }
      throw new Error(`the facade exited before serving; stderr:\n${this.err}`);
    })();
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  /** Resolves once stderr matches `pattern`, looking again at each chunk (within 5 s). */
  async stderrMatching(pattern: RegExp): Promise<RegExpExecArray> {
    const stderr = this.child.stderr!;
    const matched = new Promise<RegExpExecArray>((resolve) => {
      // Listens after the constructor's listener, so `err` already holds the chunk.
      const look = () => {
        const match = pattern.exec(this.err);
        if (match === null) return;
        stderr.off('data', look);
        resolve(match);
      };
      stderr.on('data', look);
      look();
    });
    try {
      return await within(5_000, matched, `stderr matching ${pattern}`);
    } catch (error) {
      throw new Error(`${(error as Error).message}; stderr:\n${this.err}`);
    }
  }

  /** SIGTERM, then resolves with the exit code once every stream has closed. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const closed = once(this.child, 'close') as Promise<[number | null]>;
    this.child.kill('SIGTERM');
    return (await closed)[0];
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));

describe('the default admin key made on first start without FACADE_ADMIN_KEY', () => {
  it('is printed once on stderr, never logged or stored in clear, and not printed again on restart', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'usm-facade-apikey-'));
    const runs: FacadeProcess[] = [];
    try {
      const firstRun = new FacadeProcess({ DATA_DIR: dataDir });
      runs.push(firstRun);
      const firstUrl = await firstRun.url;
      const [, name, printed] = await firstRun.stderrMatching(/Created the default admin API key "([^"]+)".*shown only now:\s+(usmf_\S+)/s);
      assert.match(name!, /^usm-facade@\d{4}-\d\d-\d\dT/);
      const viewer = dataOf(await postGraphQL<{ viewer: { name: string; isDefault: boolean } }>(firstUrl, VIEWER, {}, bearer(printed!)));
      assert.deepEqual(viewer.viewer, { ...viewer.viewer, name, isDefault: true });
      assert.equal(await firstRun.stop(), 0);

      const secondRun = new FacadeProcess({ DATA_DIR: dataDir });
      runs.push(secondRun);
      const secondUrl = await secondRun.url;
      assert.equal((await postGraphQL(secondUrl, VIEWER, {}, bearer(printed!))).status, 200, 'the printed key still works');
      assert.equal(await secondRun.stop(), 0);
      assert.ok(!secondRun.stderr.includes('usmf_'), `nothing printed again:\n${secondRun.stderr}`);
      assert.doesNotMatch(secondRun.stderr, /Created the default admin/);
      assert.equal(firstRun.stderr.split(printed!).length - 1, 1, 'printed exactly once');

      assertNoSecretIn(firstRun.stdout + secondRun.stdout, [printed!], 'the logs');
      assert.match(firstRun.stdout, /api key create/, 'the log is captured, so the search means something');
      assertNoSecretIn(filesUnder(dataDir), [printed!], 'the SQLite store');
    } finally {
      for (const run of runs) run.kill();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
