/**
 * The generated clients are not stale: generating from the committed SDL and operations
 * now gives exactly the committed files (what `npm run codegen` would write), and every
 * example operation still validates against the schema.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse, validate } from 'graphql';
import { generate } from '@graphql-codegen/cli';
import { parse as parseYaml } from 'yaml';
import { buildFacadeSchema } from '../../src/graph/schema.builder.js';

describe('generated typed clients', () => {
  it('match what codegen generates from the committed SDL and operations', async () => {
    const config = parseYaml(readFileSync("codegen.yml", "utf8")) as Record<string, unknown>;
    const outputs = (await generate({ ...config, silent: true, cwd: process.cwd() } as Parameters<typeof generate>[0], false)) as Array<{ filename: string; content: string }>;
    assert.ok(outputs.length >= 5, outputs.map((o) => o.filename).join(', '));
    for (const output of outputs) {
      const committed = readFileSync(output.filename, 'utf8');
      assert.ok(committed === output.content, `${output.filename} is stale: run \`npm run codegen\` and commit the result`);
    }
  });

  it('has every example operation valid against the schema, one operation per file', () => {
    const { schema } = buildFacadeSchema();
    const files = readdirSync('operations').filter((f) => f.endsWith('.graphql'));
    assert.ok(files.length >= 9);
    for (const file of files) {
      const document = parse(readFileSync(`operations/${file}`, 'utf8'));
      assert.equal(document.definitions.length, 1, `${file} holds one operation`);
      assert.deepEqual(validate(schema, document).map((e) => e.message), [], file);
    }
  });
});
