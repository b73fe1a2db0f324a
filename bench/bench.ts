/**
 * `npm run bench [case ...]`: runs the benchmark cases (all by default) one after the
 * other in this process and prints each one's figures as a Markdown table, the form
 * the README records them in, and writes them to `bench/results/<case>.json`. Each case
 * lives in `bench/<case>.bench.ts` and exports `run(): Promise<Record<string, number | string>>`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

type Figures = Record<string, number | string>;
const CASES = [
  'upstream',
  'schema',
  'fairness',
  'live',
  'cluster-quota',
  'goodput',
  'throttle',
  'cluster-tokens',
  'cluster-live',
  'cluster-revocation',
  'cluster-throughput',
  'router-live',
] as const;
const RESULTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results');

const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !(CASES as readonly string[]).includes(name));
if (unknown.length > 0) {
  console.error(`unknown bench case(s): ${unknown.join(', ')}; known: ${CASES.join(', ')}`);
  process.exit(2);
}

console.log(`node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${new Date().toISOString()}`);
for (const name of requested.length > 0 ? requested : CASES) {
  const module = (await import(new URL(`./${name}.bench.js`, import.meta.url).href)) as { run(): Promise<Figures> };
  const figures = await module.run();
  mkdirSync(RESULTS_DIR, { recursive: true });
  const result = { case: name, node: process.version, cpus: os.cpus().length, at: new Date().toISOString(), figures };
  writeFileSync(path.join(RESULTS_DIR, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\n## ${name}\n\n| figure | value |\n|---|---|`);
  for (const [key, value] of Object.entries(figures)) {
    console.log(`| ${key} | ${typeof value === 'number' ? +value.toFixed(2) : value} |`);
  }
}
