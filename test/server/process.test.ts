import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatApiKey, newKeyId, newSecret } from '../../src/keys/api-key.format.js';
import { postGraphQL } from '../support/graphql.client.js';

const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));

describe('npm start (the facade as a process)', () => {
  it('serves the simulated deployments, then exits 0 on SIGTERM', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'usm-facade-process-'));
    const adminKey = formatApiKey(newKeyId(), newSecret());
    const child = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        NODE_ENV: 'production',
        DATA_DIR: dataDir,
        FACADE_ADMIN_KEY: adminKey,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const lines = createInterface({ input: child.stdout! });
      const logged: string[] = [];
      let url: string | undefined;
      for await (const line of lines) {
        logged.push(line);
        const entry = JSON.parse(line) as { msg: string; url?: string };
        if (entry.msg === 'facade serving GraphQL') {
          url = entry.url;
          break;
        }
      }
      assert.ok(url, `no "facade serving GraphQL" line in:\n${logged.join('\n')}`);
      assert.match(logged[0]!, /embedded USM simulator/, 'the first log line says the simulator is in use');

      const { body } = await postGraphQL<{ deployments: Array<{ name: string }> }>(url, '{ deployments { name } }', {}, {
        authorization: `Bearer ${adminKey}`,
      });
      assert.deepEqual(
        body.data?.deployments.map((d) => d.name),
        ['acme-east', 'acme-lab', 'acme-west'],
      );

      child.kill('SIGTERM');
      const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
      assert.equal(signal, null);
      assert.equal(code, 0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
