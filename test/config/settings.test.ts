/**
 * The settings sections as a whole: each variable declared once, each with a doc and a
 * default its own rule accepts, each bad value told by name and rule, the README's
 * table true to them, and the sections read one way (nothing imports config.ts back).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, loadConfig, SETTING_SECTIONS } from '../../src/config/config.js';
import { PACKAGE_ROOT } from '../../src/config/package.root.js';
import type { Setting } from '../../src/config/setting.js';

const SETTINGS: Array<Setting<unknown>> = Object.values(SETTING_SECTIONS).flatMap((section) => Object.values(section));

/** The problems `loadConfig` reports for `env`, none when it accepts it. */
function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems;
  }
}

/** Every `.ts` file under `dir`, as a path from the package root. */
function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(PACKAGE_ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const file = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(file);
    return entry.name.endsWith('.ts') ? [file] : [];
  });
}

/** What `file` imports: bare names as written, relative ones as source paths from the package root. */
function importsOf(file: string): string[] {
  const source = readFileSync(path.join(PACKAGE_ROOT, file), 'utf8');
  return [...source.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gm)].map(([, specifier]) =>
    specifier!.startsWith('.') ? path.posix.join(path.posix.dirname(file), specifier!).replace(/\.js$/, '.ts') : specifier!,
  );
}

describe('the settings sections', () => {
  it('declare each variable in exactly one section', () => {
    const sectionsOf = new Map<string, string[]>();
    for (const [name, section] of Object.entries(SETTING_SECTIONS)) {
      for (const { env } of Object.values(section)) sectionsOf.set(env, [...(sectionsOf.get(env) ?? []), name]);
    }
    assert.deepEqual(
      [...sectionsOf].filter(([, sections]) => sections.length > 1),
      [],
    );
    assert.ok(sectionsOf.size >= 60, `only ${sectionsOf.size} settings`);
  });

  it('give every setting a doc, and a default (where it has one) that its own rule accepts', () => {
    for (const { env, doc, default: fallback, schema } of SETTINGS) {
      assert.match(doc, /^\S.{8,}[.)]$/s, `${env}: a doc of at least a short sentence`);
      if (fallback !== undefined) assert.ok(schema.safeParse(fallback).success, `${env}: its default ${fallback} breaks its rule`);
    }
  });

  it('treat each documented default, set explicitly, as the same configuration as leaving it unset', () => {
    const unset = loadConfig({});
    for (const { env, default: fallback } of SETTINGS) {
      if (fallback !== undefined) assert.deepEqual(loadConfig({ [env]: fallback }), unset, `${env}=${fallback}`);
    }
  });

  it('refuse a bad value of any setting with one message that names the variable and what is allowed', () => {
    const candidates = ['', '   ', 'not valid ✗', '-1', '99999999999', 'otlp,grpc'];
    for (const { env } of SETTINGS) {
      let refused = 0;
      for (const value of candidates) {
        const own = problemsOf({ [env]: value }).filter((problem) => problem.startsWith(`${env}: `));
        if (own.length === 0) continue;
        refused += 1;
        assert.equal(own.length, 1, `${env}=${JSON.stringify(value)}: one message, not ${JSON.stringify(own)}`);
        const message = own[0]!.slice(env.length + 2);
        assert.match(message, /\b(must|give)\b/, `${env}=${JSON.stringify(value)}: says what is allowed: ${message}`);
        assert.doesNotMatch(message, /invalid input|expected|received|too (small|big)/i, `${env}: a message of our own, not zod's: ${message}`);
        // USM_CONFIG names the file it cannot read; no other message repeats a value.
        if (env !== 'USM_CONFIG' && value.trim().length > 2) assert.ok(!message.includes(value), `${env}: echoes ${value}`);
      }
      assert.ok(refused > 0, `${env} accepts every one of ${JSON.stringify(candidates)}`);
    }
  });

  it('are each read by loadConfig: every section a room declares is one config.ts composes', async () => {
    const composed = new Set<unknown>(Object.values(SETTING_SECTIONS));
    const files = sourceFiles('src').filter((file) => file.endsWith('.settings.ts'));
    assert.ok(files.length >= 10, `only ${files.join(', ')}`);
    for (const file of files) {
      const module = (await import(pathToFileURL(path.join(PACKAGE_ROOT, 'dist', file.replace(/\.ts$/, '.js'))).href)) as Record<string, unknown>;
      const sections = Object.entries(module).filter(([name]) => name.endsWith('_SETTINGS'));
      assert.ok(sections.length > 0, `${file} declares no *_SETTINGS`);
      for (const [name, section] of sections) assert.ok(composed.has(section), `${file}: ${name} is not in SETTING_SECTIONS, so nothing reads it`);
    }
  });

  it('flow one way: a section imports only zod, node and the leaves of config/, and only main.ts imports config.ts', () => {
    const files = sourceFiles('src');
    for (const file of files.filter((f) => f.endsWith('.settings.ts'))) {
      for (const imported of importsOf(file)) {
        const allowed = imported === 'zod' || imported.startsWith('node:') || (imported.startsWith('src/config/') && imported !== 'src/config/config.ts');
        assert.ok(allowed, `${file} imports ${imported}`);
      }
    }
    const importers = files.filter((file) => file !== 'src/config/config.ts' && importsOf(file).includes('src/config/config.ts'));
    assert.deepEqual(importers, ['src/main.ts']);
  });
});

describe("the README's configuration table", () => {
  const readme = readFileSync(path.join(PACKAGE_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Configure\n'), readme.indexOf('\n## ', readme.indexOf('\n## Configure\n') + 1));
  /** Each row: the variables it names, and the literals its default column shows before any remark in brackets. */
  const rows = [...section.matchAll(/^\| (.+?) \| (.+?) \| .+ \|$/gm)]
    .map(([, names, shown]) => ({
      variables: [...names!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!),
      defaults: [...shown!.split('(')[0]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!),
    }))
    .filter((row) => row.variables.length > 0);

  it('lists every setting once, and nothing else', () => {
    const listed = rows.flatMap((row) => row.variables);
    assert.deepEqual(listed.filter((name, i) => listed.indexOf(name) !== i), [], 'listed twice');
    assert.deepEqual([...listed].sort(), SETTINGS.map((s) => s.env).sort());
  });

  it("shows each setting's default as the section declares it", () => {
    const byEnv = new Map(SETTINGS.map((s) => [s.env, s]));
    for (const { variables, defaults } of rows) {
      variables.forEach((env, i) => {
        const declared = byEnv.get(env)?.default;
        // Without a default the value is unset or derived, which the README says in words.
        if (declared === undefined) return;
        const shown = defaults.length === variables.length ? defaults[i] : defaults.length === 1 ? defaults[0] : undefined;
        // A path in the checkout is shown from the checkout.
        const expected = path.isAbsolute(declared) ? path.relative(PACKAGE_ROOT, declared) : declared;
        assert.equal(shown, expected, `README row of ${env}`);
      });
    }
  });
});
