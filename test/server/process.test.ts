/**
 * The facade as a process, as `npm start` runs it: it serves the embedded simulator and
 * exits 0 on SIGTERM; a port it cannot take fails the start, naming the variable, before
 * it says it serves; and SIGTERM drains (readiness 503, the request in flight answered, the
 * subscriber told to go elsewhere) before it exits 0.
 *
 * Real processes and real sockets: these wait on the process's own log lines and exit,
 * and the drain's timings are set wide (seconds) so a loaded machine does not matter.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { FormattedExecutionResult } from 'graphql-ws';
import { formatApiKey, newKeyId, newSecret } from '../../src/keys/api-key.format.js';
import { connectWs } from '../apikey/apikey.fixture.js';
import { postGraphQL } from '../support/graphql.client.js';
import { requestCount, simulatorStats } from '../support/simulator.stats.js';

const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));

interface LogLine {
  msg: string;
  url?: string;
  simulator?: string;
}

interface FacadeProcess {
  child: ChildProcess;
  adminKey: string;
  /** Every stdout line so far, parsed. */
  logged: LogLine[];
  /** What the process wrote to stderr. */
  stderr: () => string;
  /** The first line whose `msg` is `msg`; rejects when the process exits first. */
  line(msg: string): Promise<LogLine>;
  exit: Promise<{ code: number | null; signal: string | null }>;
}

const started: FacadeProcess[] = [];
const dataDirs: string[] = [];

function startProcess(env: Record<string, string>): FacadeProcess {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'usm-facade-process-'));
  dataDirs.push(dataDir);
  const adminKey = formatApiKey(newKeyId(), newSecret());
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, PORT: '0', METRICS_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', NODE_ENV: 'production', DATA_DIR: dataDir, FACADE_ADMIN_KEY: adminKey, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const logged: LogLine[] = [];
  const waiters: Array<() => void> = [];
  createInterface({ input: child.stdout! }).on('line', (text) => {
    logged.push(JSON.parse(text) as LogLine);
    for (const wake of waiters.splice(0)) wake();
  });
  // 'close': after the process exited and its output was read to the end.
  const exit = once(child, 'close').then(([code, signal]) => ({ code: code as number | null, signal: signal as string | null }));
  const line = async (msg: string): Promise<LogLine> => {
    for (;;) {
      const found = logged.find((entry) => entry.msg === msg);
      if (found !== undefined) return found;
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`exited without "${msg}"; logged:\n${logged.map((entry) => entry.msg).join('\n')}\n${stderr}`);
      await Promise.race([new Promise<void>((wake) => waiters.push(wake)), exit]);
    }
  };
  const running = { child, adminKey, logged, stderr: () => stderr, line, exit };
  started.push(running);
  return running;
}

/** A port some other process holds, as an operator meets it. */
async function takenPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

after(() => {
  for (const { child } of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

describe('npm start (the facade as a process)', () => {
  it('serves the simulated deployments, then exits 0 on SIGTERM', async () => {
    const facade = startProcess({ DRAIN_ACCEPT_MS: '0' });
    const { url } = await facade.line('facade serving GraphQL');
    assert.match(facade.logged[0]!.msg, /embedded USM simulator/, 'the first log line says the simulator is in use');

    const { body } = await postGraphQL<{ deployments: Array<{ name: string }> }>(url!, '{ deployments { name } }', {}, {
      authorization: `Bearer ${facade.adminKey}`,
    });
    assert.deepEqual(
      body.data?.deployments.map((d) => d.name),
      ['acme-east', 'acme-lab', 'acme-west'],
    );

    facade.child.kill('SIGTERM');
    assert.deepEqual(await facade.exit, { code: 0, signal: null });
  });

  for (const variable of ['METRICS_PORT', 'PORT']) {
    it(`fails to start on a taken ${variable}, naming it, before any "serving" line, with a non-zero exit`, async () => {
      const taken = await takenPort();
      try {
        const facade = startProcess({ [variable]: String(taken.port) });
        const { code } = await facade.exit;
        assert.notEqual(code, 0);
        assert.match(
          facade.stderr(),
          new RegExp(`^failed to start: ${variable}=${taken.port}: 127\\.0\\.0\\.1:${taken.port} is already in use by another process \\(EADDRINUSE\\)\\. Stop that process, or set ${variable} to a free port`, 'm'),
        );
        assert.doesNotMatch(facade.stderr(), /\bat .*\.js:\d+/, 'no stack trace');
        assert.deepEqual(
          facade.logged.filter((entry) => /serving/.test(entry.msg)),
          [],
          'nothing said it serves',
        );
      } finally {
        taken.server.close();
      }
    });
  }

  it('drains on SIGTERM: /readyz 503, the query in flight answered, the subscriber told to reconnect elsewhere, exit 0', async () => {
    // Long enough that readiness is read while new requests are still accepted, and the
    // query outlives the accept time (it finishes after the listener closed).
    const facade = startProcess({ DRAIN_ACCEPT_MS: '3000', DRAIN_TIMEOUT_MS: '15000' });
    const simulatorUrl = (await facade.line('no upstream configured (USM_ANYWHERE_* / USM_CENTRAL_*): using the embedded USM simulator')).simulator!;
    const { url } = await facade.line('facade serving GraphQL');
    const auth = { authorization: `Bearer ${facade.adminKey}` };

    // A dashboard on WebSocket, with its first page.
    const payloads: FormattedExecutionResult<Record<string, unknown>, unknown>[] = [];
    let completed = false;
    let firstPage!: () => void;
    const gotFirstPage = new Promise<void>((resolve) => (firstPage = resolve));
    const { client, closed } = connectWs({ url: url! }, auth);
    client.subscribe(
      { query: 'subscription { alarmPage(deployment: "acme-west", first: 2) { totalCount } }' },
      {
        next: (value) => {
          payloads.push(value);
          firstPage();
        },
        error: () => undefined,
        complete: () => (completed = true),
      },
    );
    await gotFirstPage;

    // A query that takes 5 s upstream, in flight when SIGTERM arrives.
    await fetch(`${simulatorUrl}/__sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ deployment: 'acme-east', latencyMs: 5000 }) });
    const alarmReads = async () => requestCount(await simulatorStats(simulatorUrl), 'acme-east', 'GET /alarms');
    const before = await alarmReads();
    const inFlight = postGraphQL<{ alarms: { totalCount: number } }>(url!, '{ alarms(deployment: "acme-east", first: 7) { totalCount } }', {}, auth);
    // Polls the simulator's counter (a real process): the request has reached USM.
    while ((await alarmReads()) === before) await new Promise((resolve) => setTimeout(resolve, 20));

    facade.child.kill('SIGTERM');
    await facade.line('stopping: draining (readiness 503, subscribers told to reconnect elsewhere, open requests finish)');

    const readiness = await fetch(url!.replace(/\/graphql$/, '/readyz'));
    assert.equal(readiness.status, 503);
    assert.equal(((await readiness.json()) as { status: string }).status, 'draining');
    assert.equal(readiness.headers.get('connection'), 'close', 'a draining replica asks clients to connect afresh');

    // The subscriber's last payload says why, then the connection goes with 1001, which graphql-ws clients retry.
    assert.deepEqual(await closed, { code: 1001, reason: 'Going away' });
    const last = payloads.at(-1)!;
    assert.equal(last.errors?.[0]?.extensions?.['code'], 'SHUTTING_DOWN', JSON.stringify(last));
    assert.equal(last.errors?.[0]?.extensions?.['retryAfterSeconds'], 0);
    assert.match(last.errors?.[0]?.message ?? '', /shutting down: subscribe again, and another replica will answer/);
    assert.ok(completed, 'the subscription completed');

    const answer = await inFlight;
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body.errors, undefined);
    assert.equal(typeof answer.body.data?.alarms.totalCount, 'number');

    assert.deepEqual(await facade.exit, { code: 0, signal: null });
    await facade.line('stopped');
  });
});
