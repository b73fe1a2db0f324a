/**
 * `/readyz` follows the shared store: a facade on a Redis of its own turns not ready
 * (503) when that Redis stops and ready again when it is back, while `/healthz` (the
 * process is alive) stays 200 throughout.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { freePort } from '../../bench/processes.js';


/** A redis-server of this test's own, answering once it logs that it accepts connections. */
async function startRedis(port: number): Promise<ChildProcess> {
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    redis.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve();
    });
    redis.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
  });
  return redis;
}

async function stopRedis(redis: ChildProcess): Promise<void> {
  if (redis.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => redis.once('exit', () => resolve()));
  redis.kill('SIGTERM');
  await exited;
}

interface Ready {
  status: number;
  body: { status: string; store: { kind: string; reachable: boolean }; upstreams: Array<{ upstream: string; breaker: string; credential: string }> };
}

describe('/readyz with the shared store down and back', () => {
  let port: number;
  let redis: ChildProcess;
  let facade: TestFacade;
  const probe = async (path: '/readyz' | '/healthz'): Promise<Ready> => {
    const response = await fetch(facade.url.replace('/graphql', path));
    return { status: response.status, body: (await response.json()) as Ready['body'] };
  };
  /** The readiness answer once it has `status`; Redis going and coming back takes real time, bounded here. */
  const until = async (status: number): Promise<Ready> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const ready = await probe('/readyz');
      if (ready.status === status || Date.now() > deadline) return ready;
      // Real time on purpose: a real Redis process goes and comes back, and the client reconnects on its own.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  before(async () => {
    port = await freePort();
    redis = await startRedis(port);
    facade = await startTestFacade({ REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_PREFIX: `readyz-${process.pid}:` });
  });
  after(async () => {
    await facade.stop();
    await stopRedis(redis);
  });

  it('is ready with Redis, reports each upstream, and needs no key', async () => {
    const ready = await probe('/readyz');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.status, 'ready');
    assert.deepEqual(ready.body.store, { kind: 'redis', reachable: true });
    assert.deepEqual(
      ready.body.upstreams.map((u) => u.upstream),
      ['acme-east', 'acme-lab', 'acme-west', 'central'],
    );
    assert.ok(ready.body.upstreams.every((u) => u.breaker === 'closed'));
  });

  it('turns 503 while Redis is down and 200 when it is back; /healthz stays 200', async () => {
    await stopRedis(redis);
    const down = await until(503);
    assert.equal(down.status, 503);
    assert.deepEqual(down.body.store, { kind: 'redis', reachable: false });
    assert.equal(down.body.status, 'not ready');
    assert.equal((await probe('/healthz')).status, 200);

    redis = await startRedis(port);
    const back = await until(200);
    assert.equal(back.status, 200);
    assert.deepEqual(back.body.store, { kind: 'redis', reachable: true });
    assert.equal((await probe('/healthz')).status, 200);
  });
});
