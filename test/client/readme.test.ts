/**
 * The README stays true to the tree: where it quotes an example operation it quotes the
 * file in operations/ exactly (the files the playground offers and codegen types), and
 * every relative link or image in the README and docs/ points at a file that exists.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Kind, parse, type OperationDefinitionNode } from 'graphql';
import { PACKAGE_ROOT } from '../../src/config/package.root.js';

const read = (file: string) => readFileSync(path.join(PACKAGE_ROOT, file), 'utf8');
const README = read('README.md');
const DOCS = ['README.md', 'docs/architecture.md', 'docs/performance.md'];

/** The names of the named operations a document defines. */
function operationNames(text: string): string[] {
  return parse(text)
    .definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)
    .flatMap((d) => (d.name === undefined ? [] : [d.name.value]));
}

/** Each file of operations/ by the one operation it defines. */
const OPERATION_FILES = new Map(
  readdirSync(path.join(PACKAGE_ROOT, 'operations'))
    .filter((file) => file.endsWith('.graphql'))
    .map((file) => {
      const text = read(`operations/${file}`);
      const names = operationNames(text);
      assert.equal(names.length, 1, `operations/${file} defines one named operation`);
      return [names[0]!, { file: `operations/${file}`, text }] as const;
    }),
);

/** The bodies of the fenced blocks of `language` in a Markdown text. */
function fencedBlocks(markdown: string, language: string): string[] {
  return [...markdown.matchAll(/^[ \t]*```(\S*)[^\n]*\n([\s\S]*?)^[ \t]*```/gm)].filter((m) => m[1] === language).map((m) => m[2]!);
}

/** Link and image targets, `[text](target)` and `![alt](target)`, outside code (a link in a code block is text). */
function linkTargets(markdown: string): string[] {
  const prose = markdown.replace(/^[ \t]*```[\s\S]*?^[ \t]*```/gm, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
}

describe('the README', () => {
  it('quotes each example operation exactly as its file in operations/ holds it', () => {
    const quoted: string[] = [];
    for (const block of fencedBlocks(README, 'graphql')) {
      for (const name of operationNames(block)) {
        const source = OPERATION_FILES.get(name);
        if (source === undefined) continue;
        assert.equal(block.trim(), source.text.trim(), `the README's ${name} differs from ${source.file}`);
        quoted.push(name);
      }
    }
    for (const name of ['AlarmsByPriority', 'LiveAlarmPage']) {
      assert.ok(quoted.includes(name), `the README quotes ${OPERATION_FILES.get(name)?.file ?? name}`);
    }
  });

  it('shows the playground screenshot', () => {
    assert.match(README, /!\[The playground[^\]]*\]\(docs\/playground\.png\)/);
  });

  for (const doc of DOCS) {
    it(`links from ${doc} only to files that exist`, () => {
      const targets = linkTargets(read(doc)).filter((target) => !target.startsWith('#') && !/^https?:\/\//i.test(target));
      assert.ok(doc !== 'README.md' || targets.length > 0, 'the README links to something');
      const missing = targets.filter((target) => {
        const file = decodeURIComponent(target.split('#')[0]!);
        return !existsSync(path.resolve(PACKAGE_ROOT, path.dirname(doc), file));
      });
      assert.deepEqual(missing, [], `${doc} links to files that do not exist`);
    });
  }
});
