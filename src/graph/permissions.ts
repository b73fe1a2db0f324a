/**
 * Which permission each root field needs: the one place access is decided.
 *
 * Contract: deny by default. `requiredPermissions` lists, for an operation, the
 * permission of every root field it selects (following fragments); a root field
 * missing from `ROOT_FIELD_PERMISSIONS` is refused as FORBIDDEN, so a new field is
 * closed until someone decides who may use it (a test checks every schema field is
 * listed). `null` means any valid key. `__typename` needs only a valid key;
 * introspection (`__schema`, `__type`) too in development, and `schema:read` where
 * `introspection` is `'schema:read'` (production). The operation gate checks this before
 * executing, on every transport (`operationAuthorizer`), so federation's `_entities` is
 * covered too; a key limited to trusted documents runs only those
 * (PERSISTED_QUERY_NOT_ALLOWED otherwise).
 */
import path from 'node:path';
import { Kind, type DocumentNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { FacadeError } from '../errors/facade.error.js';
import type { Permission } from '../keys/api-key.permissions.js';
import type { ApiKey, ApiKeyService } from '../keys/api-key.service.js';
import type { TrustedDocuments } from '../protection/trusted.documents.js';

export const ROOT_FIELD_PERMISSIONS: Readonly<Record<string, Permission | null>> = {
  'query.deployments': 'alarms:read',
  'query.deployment': 'alarms:read',
  'query.alarms': 'alarms:read',
  'query.alarm': 'alarms:read',
  'query.events': 'alarms:read',
  'query.event': 'alarms:read',
  'query.node': 'alarms:read',
  'query.nodes': 'alarms:read',
  'query._entities': 'alarms:read',
  'query._service': null,
  'query.viewer': null,
  'query.apiKeys': 'keys:manage',
  'query.auditEvents': 'keys:manage',
  'query.upstreamCredentials': 'credentials:manage',
  'mutation.addAlarmLabel': 'alarms:write',
  'mutation.removeAlarmLabel': 'alarms:write',
  'mutation.createApiKey': 'keys:manage',
  'mutation.rotateApiKey': 'keys:manage',
  'mutation.resetApiKey': 'keys:manage',
  'mutation.setApiKeyRotation': 'keys:manage',
  'mutation.setApiKeyBudget': 'keys:manage',
  'mutation.revokeApiKey': 'keys:manage',
  'mutation.deleteApiKey': 'keys:manage',
  'mutation.rotateUpstreamCredentials': 'credentials:manage',
  'subscription.apiKeyRotated': null,
  'subscription.alarmPage': 'alarms:read',
  'subscription.alarmCreated': 'alarms:read',
};

const INTROSPECTION = new Set(['__schema', '__type']);

export interface RequiredPermissionsOptions {
  /** Who may introspect: any valid key (`open`, development), or keys with `schema:read` (production). Default `open`. */
  introspection?: 'open' | 'schema:read';
}

function rootFields(document: DocumentNode, selectionSet: SelectionSetNode, seen = new Set<string>()): string[] {
  const names: string[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) names.push(selection.name.value);
    else if (selection.kind === Kind.INLINE_FRAGMENT) names.push(...rootFields(document, selection.selectionSet, seen));
    else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = document.definitions.find(
        (d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value,
      );
      if (fragment?.kind === Kind.FRAGMENT_DEFINITION) names.push(...rootFields(document, fragment.selectionSet, seen));
    }
  }
  return names;
}

/** The permissions `operation` needs; throws FORBIDDEN for a root field no one may use. */
export function requiredPermissions(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  options: RequiredPermissionsOptions = {},
): Permission[] {
  const needed = new Set<Permission>();
  for (const field of rootFields(document, operation.selectionSet)) {
    if (field === '__typename') continue;
    if (INTROSPECTION.has(field)) {
      if (options.introspection === 'schema:read') needed.add('schema:read');
      continue;
    }
    const key = `${operation.operation}.${field}`;
    const permission = ROOT_FIELD_PERMISSIONS[key];
    if (permission === undefined) {
      throw new FacadeError('FORBIDDEN', `no API key may use ${operation.operation} field "${field}"`, {
        details: { field },
      });
    }
    if (permission !== null) needed.add(permission);
  }
  return [...needed];
}

/**
 * Whether every root field of `operation` reads shared alarm data (`alarms:read`):
 * its answer is the same for every key allowed to ask, so it may be cached and shared.
 * A key's own data (`viewer`), management fields and introspection are not.
 */
export function readsOnlySharedData(document: DocumentNode, operation: OperationDefinitionNode): boolean {
  const fields = rootFields(document, operation.selectionSet).filter((field) => field !== '__typename');
  return (
    fields.length > 0 &&
    fields.every((field) => ROOT_FIELD_PERMISSIONS[`${operation.operation}.${field}`] === 'alarms:read')
  );
}

export interface OperationAuthorizerOptions extends RequiredPermissionsOptions {
  keys: Pick<ApiKeyService, 'authorize'>;
  trusted: Pick<TrustedDocuments, 'includes' | 'size'>;
  /** `TRUSTED_DOCUMENTS_FILE`, named in the refusal. */
  trustedDocumentsFile: string;
}

/** Whether a key may run an operation: its permissions, then trusted documents; throws FORBIDDEN or PERSISTED_QUERY_NOT_ALLOWED. */
export function operationAuthorizer(options: OperationAuthorizerOptions) {
  return (context: { apiKey: ApiKey }, document: DocumentNode, operation: OperationDefinitionNode): void => {
    for (const permission of requiredPermissions(document, operation, options)) options.keys.authorize(context.apiKey, permission);
    if (context.apiKey.trustedDocumentsOnly && !options.trusted.includes(document)) {
      throw new FacadeError(
        'PERSISTED_QUERY_NOT_ALLOWED',
        `Key "${context.apiKey.name}" runs only trusted documents (the ${options.trusted.size} operations of ${path.basename(options.trustedDocumentsFile)}), ` +
          'and this is not one of them: send one of those, by its hash (extensions.persistedQuery.sha256Hash) or as text',
      );
    }
  };
}
