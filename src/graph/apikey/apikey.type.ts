/**
 * The schema's view of the facade's own API keys: never a hash, and a secret only in
 * the answer that made it (`CreatedApiKey`) and in `apiKeyRotated` to that key's holders.
 */
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateTime } from '../scalar/date-time.scalar.js';
import { formatIsoDuration } from '../../keys/rotation.policy.js';
import type { ApiKey as ApiKeyRecord } from '../../keys/api-key.service.js';
import type { Permission as PermissionName } from '../../keys/api-key.permissions.js';

/** GraphQL enum names cannot hold ':', so each permission has a name and keeps its wire value. */
export enum Permission {
  ALARMS_READ = 'alarms:read',
  ALARMS_WRITE = 'alarms:write',
  KEYS_MANAGE = 'keys:manage',
  CREDENTIALS_MANAGE = 'credentials:manage',
  SCHEMA_READ = 'schema:read',
}
registerEnumType(Permission, {
  name: 'Permission',
  description: 'What an API key may do.',
  valuesConfig: {
    ALARMS_READ: { description: '`alarms:read`: query alarms, events and deployments.' },
    ALARMS_WRITE: { description: '`alarms:write`: add and remove alarm labels.' },
    KEYS_MANAGE: { description: '`keys:manage`: create, rotate, reset, revoke and delete API keys; read the audit trail.' },
    CREDENTIALS_MANAGE: { description: '`credentials:manage`: see and rotate the upstream USM client credentials.' },
    SCHEMA_READ: { description: '`schema:read`: introspect the schema (`__schema`, `__type`) in production; any key may in development.' },
  },
});

export enum ApiKeyStatus {
  ACTIVE = 'ACTIVE',
  REVOKED = 'REVOKED',
}
registerEnumType(ApiKeyStatus, { name: 'ApiKeyStatus' });

@ObjectType({ simpleResolvers: true, description: 'When a key rotates on its own, and how long the previous secret keeps working.' })
export class RotationPolicy {
  @Field({ description: 'ISO 8601 duration between rotations, e.g. `P30D`.' })
  interval!: string;

  @Field({ description: 'ISO 8601 duration the previous secret keeps working after a rotation, e.g. `P15D`.' })
  gracePeriod!: string;
}

@ObjectType({ simpleResolvers: true, description: "A key's own budget in points, as `extensions.cost.throttleStatus` reports it." })
export class ApiKeyBudget {
  @Field(() => Int, { description: 'Points the key can spend at once.' })
  maximum!: number;

  @Field(() => Int, { description: 'Points restored a second.' })
  restoreRate!: number;
}

@ObjectType({ simpleResolvers: true, description: 'An API key of this facade. Its secret is never shown again after it was made.' })
export class ApiKey {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => [Permission])
  permissions!: PermissionName[];

  @Field(() => DateTime)
  createdAt!: Date;

  @Field(() => DateTime, { nullable: true, description: 'Recorded at most once a minute.' })
  lastUsedAt!: Date | null;

  @Field(() => DateTime, { nullable: true })
  lastRotatedAt!: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'When the rotation policy rotates the key next.' })
  nextRotationAt!: Date | null;

  @Field(() => RotationPolicy, { nullable: true, description: 'Null: the key never rotates on its own.' })
  rotation!: RotationPolicy | null;

  @Field(() => DateTime, {
    nullable: true,
    description: 'Until when the secret before the last rotation still works; null when it no longer does.',
  })
  previousSecretValidUntil!: Date | null;

  @Field({ description: 'The key made on first start; it cannot be deleted or revoked, only reset.' })
  isDefault!: boolean;

  @Field(() => ApiKeyStatus)
  status!: ApiKeyStatus;

  @Field(() => DateTime, { nullable: true })
  revokedAt!: Date | null;

  @Field({ description: 'Runs only the trusted documents (first-party frontends); see `CreateApiKeyInput.trustedDocumentsOnly`.' })
  trustedDocumentsOnly!: boolean;

  @Field(() => ApiKeyBudget, { nullable: true, description: 'Null: the key draws on the default budget (`KEY_BUDGET_*`); set with `setApiKeyBudget`.' })
  budget!: ApiKeyBudget | null;

  static from(record: ApiKeyRecord): ApiKey {
    return Object.assign(new ApiKey(), {
      ...record,
      status: record.status as ApiKeyStatus,
      budget: record.budget === null ? null : Object.assign(new ApiKeyBudget(), record.budget),
      rotation:
        record.rotation === null
          ? null
          : Object.assign(new RotationPolicy(), {
              interval: formatIsoDuration(record.rotation.intervalMs),
              gracePeriod: formatIsoDuration(record.rotation.gracePeriodMs),
            }),
    });
  }
}

@ObjectType({ simpleResolvers: true, description: 'A key with its secret: shown in this answer only, so store it now.' })
export class CreatedApiKey {
  @Field(() => ApiKey)
  key!: ApiKey;

  @Field({ description: 'The complete key (`usmf_…`): send it as `Authorization: Bearer <secret>` or `X-API-Key`.' })
  secret!: string;

  @Field(() => [String], { description: 'Accepted but inadvisable choices, e.g. a one-day rotation interval.' })
  warnings!: string[];
}

@ObjectType({ simpleResolvers: true, description: 'A key after its rotation policy changed.' })
export class ApiKeyRotationChange {
  @Field(() => ApiKey)
  key!: ApiKey;

  @Field(() => [String])
  warnings!: string[];
}

@ObjectType({ simpleResolvers: true, description: 'A new secret for the key this connection authenticated with.' })
export class ApiKeyRotation {
  @Field(() => ID)
  keyId!: string;

  @Field({ description: 'The complete new key to present from now on.' })
  secret!: string;

  @Field(() => DateTime, { nullable: true, description: 'Until when the previous secret still works.' })
  previousSecretValidUntil!: Date | null;

  @Field(() => DateTime)
  rotatedAt!: Date;

  @Field({ description: 'MANUAL, SCHEDULED or RESET.' })
  trigger!: string;
}
