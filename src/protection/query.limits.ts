/**
 * Limits on the shape of a document, checked while it is parsed and validated, before
 * anything executes: tokens (graphql-js's own parser limit), depth, aliases and
 * directives (graphql-armor's validation rules).
 *
 * Contract:
 * - `parseOptions` goes to every `parse` of a client's document (Apollo's
 *   `parseOptions`, the WebSocket and SSE paths); `validationRules` to every `validate`.
 *   Both run once per distinct document: Apollo and the facade keep validated documents.
 * - Depth counts field levels, the leaf included; fragments, inline or spread, add no
 *   level, so `_entities { ... on Alarm { … } }` and `node { ... on Deployment { … } }`
 *   count like the same selection at the root. Introspection (`__schema`) is not counted.
 * - `exposeLimits: false` (production) keeps the limit and the count out of messages: they
 *   say what to change, not where the line is. `hideSuggestions` removes graphql-js's
 *   "Did you mean …?" from a message, for the same reason.
 */
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { ParseOptions, ValidationRule } from 'graphql';
import type { QueryLimitsConfig } from './protection.settings.js';

export interface QueryLimitsOptions {
  limits: Pick<QueryLimitsConfig, 'maxDepth' | 'maxAliases' | 'maxDirectives' | 'maxTokens'>;
  /** Whether messages name the limit and what was found; false in production. */
  exposeLimits: boolean;
}

export interface QueryLimits {
  parseOptions: ParseOptions;
  validationRules: ValidationRule[];
}

/** graphql-armor prefixes its refusals so; they are validation errors, not syntax errors. */
const ARMOR_PREFIX = 'Syntax Error: ';

export function queryLimits({ limits, exposeLimits }: QueryLimitsOptions): QueryLimits {
  const armor = new ApolloArmor({
    maxDepth: {
      n: limits.maxDepth,
      flattenFragments: true,
      exposeLimits,
      errorMessage: 'The query is nested too deeply: select fewer levels, or split it into several queries.',
    },
    maxAliases: {
      n: limits.maxAliases,
      exposeLimits,
      errorMessage: 'The query uses too many aliases: select fewer aliased fields, or split it into several queries.',
    },
    maxDirectives: {
      n: limits.maxDirectives,
      exposeLimits,
      errorMessage: 'The query uses too many directives: remove some, or split it into several queries.',
    },
    // Tokens are limited by graphql-js's parser below, on every transport and before validation.
    maxTokens: { enabled: false },
    // Cost is counted in upstream calls (`cost.estimator.ts`), not in armor's field weights.
    costLimit: { enabled: false },
    // Suggestions are removed from every message by the error formatter (`hideSuggestions`).
    blockFieldSuggestion: { enabled: false },
  });
  return { parseOptions: { maxTokens: limits.maxTokens }, validationRules: armor.protect().validationRules };
}

/**
 * A refusal of these limits as clients read it: graphql-armor calls its validation
 * refusals syntax errors; graphql-js's token limit names the limit.
 */
export function limitMessage(message: string, phase: 'parse' | 'validate', exposeLimits: boolean): string {
  if (phase === 'validate') return message.startsWith(ARMOR_PREFIX) ? message.slice(ARMOR_PREFIX.length) : message;
  if (!exposeLimits && /^Syntax Error: Document contains more th\w+ \d+ tokens/.test(message)) {
    return 'Syntax Error: The document is too long: send a shorter query, or split it into several.';
  }
  return message;
}

/** graphql-js's "Did you mean …?" names fields and values of the schema; production does not offer them. */
export function hideSuggestions(message: string): string {
  return message.replace(/\s*Did you mean [^?]*\?/g, '');
}
