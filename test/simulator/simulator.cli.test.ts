import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/simulator/simulator.cli.js');

function run(args: string[]) {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match) resolve(match[1]!);
    });
    child.on('exit', () => reject(new Error(`exited before listening: ${stderr}`)));
  });
  // Not every run waits for `listening`; an early exit must not become an unhandled rejection.
  listening.catch(() => undefined);
  return { child, exited, listening, output: () => ({ stdout, stderr }) };
}

describe('simulator CLI', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`prints URLs and credentials, serves, and exits 0 on ${signal}`, async () => {
      const cli = run(['--port', '0', '--seed', '3', '--alarms', '10']);
      const url = await cli.listening;
      const { stdout } = cli.output();
      assert.match(stdout, /acme-east\/api\/2\.0 {2}client acme-east-client \/ acme-east-secret/);
      assert.match(stdout, /central\/api\/1\.1 {2}client central-client \/ central-secret/);
      const stats = await fetch(`${url}/__sim/stats`);
      assert.equal(stats.status, 200);
      cli.child.kill(signal);
      assert.equal(await cli.exited, 0);
    });
  }

  it('exits 2 naming a bad flag', async () => {
    const cli = run(['--port', 'eighty']);
    assert.equal(await cli.exited, 2);
    assert.match(cli.output().stderr, /--port must be an integer from 0 to 65535/);
  });
});
