/**
 * Where `schema/schema.graphql` carries `@rateLimit`: every mutation, the list reads and
 * the live subscriptions, each with its class's default, and nothing below a root field.
 * (test/graph/federation.test.ts composes this SDL into a supergraph.)
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Kind, parse, print, type ObjectTypeDefinitionNode } from 'graphql';
import { SCHEMA_FILE } from '../../src/graph/schema.file.js';
import { rateLimitSdl } from '../../src/protection/rate-limit.directive.js';

/** `Type.field` → its `@rateLimit(...)` as printed, for every field that has one. */
async function limitedFields(): Promise<Record<string, string>> {
  const document = parse(await readFile(SCHEMA_FILE, 'utf8'));
  const limited: Record<string, string> = {};
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    const type = definition as ObjectTypeDefinitionNode;
    assert.ok(!type.directives?.some((d) => d.name.value === 'rateLimit'), `@rateLimit on the type ${type.name.value}`);
    for (const field of type.fields ?? []) {
      const directive = field.directives?.find((d) => d.name.value === 'rateLimit');
      if (directive !== undefined) limited[`${type.name.value}.${field.name.value}`] = print(directive);
    }
  }
  return limited;
}

describe('@rateLimit in schema/schema.graphql', () => {
  it('is defined, and is on every mutation and nothing else (reads and subscribes draw on the key budget), each with its class default', async () => {
    const sdl = await readFile(SCHEMA_FILE, 'utf8');
    assert.match(sdl, /^directive @rateLimit\(/m);
    assert.deepEqual(await limitedFields(), {
      'Mutation.addAlarmLabel': rateLimitSdl('labelWrites'),
      'Mutation.removeAlarmLabel': rateLimitSdl('labelWrites'),
      'Mutation.createApiKey': rateLimitSdl('keyManagement'),
      'Mutation.deleteApiKey': rateLimitSdl('keyManagement'),
      'Mutation.resetApiKey': rateLimitSdl('keyManagement'),
      'Mutation.revokeApiKey': rateLimitSdl('keyManagement'),
      'Mutation.rotateApiKey': rateLimitSdl('keyManagement'),
      'Mutation.setApiKeyRotation': rateLimitSdl('keyManagement'),
      'Mutation.setApiKeyBudget': rateLimitSdl('keyManagement'),
      'Mutation.rotateUpstreamCredentials': rateLimitSdl('credentials'),
    });
  });

  it('leaves no mutation without a limit', async () => {
    const document = parse(await readFile(SCHEMA_FILE, 'utf8'));
    const mutation = document.definitions.find(
      (d): d is ObjectTypeDefinitionNode => d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === 'Mutation',
    )!;
    const limited = await limitedFields();
    for (const field of mutation.fields ?? []) assert.ok(limited[`Mutation.${field.name.value}`], `Mutation.${field.name.value} has no @rateLimit`);
  });
});
