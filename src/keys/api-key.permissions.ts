/**
 * What an API key may do. Each GraphQL field that needs more than a valid key names one
 * of these; a key without it gets FORBIDDEN naming the permission.
 */
export const PERMISSIONS = ['alarms:read', 'alarms:write', 'keys:manage', 'credentials:manage', 'schema:read'] as const;

export type Permission = (typeof PERMISSIONS)[number];

/** What a new key gets when its creator names no permissions. */
export const DEFAULT_PERMISSIONS: readonly Permission[] = ['alarms:read'];

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}
