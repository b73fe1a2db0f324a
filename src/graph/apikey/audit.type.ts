/**
 * `AuditEvent`: who did what, to which API key or to which deployment's upstream
 * credential, when, and how it ended. `subject` says which of `keyId`/`keyName` or
 * `deployment` is set. Never a secret.
 */
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { DateTime } from '../scalar/date-time.scalar.js';
import type { AuditEvent as AuditRecord } from '../../keys/audit.log.js';
import { Connection } from '../connection/connection.type.js';

export enum AuditAction {
  CREATE = 'CREATE',
  ROTATE = 'ROTATE',
  RESET = 'RESET',
  REVOKE = 'REVOKE',
  DELETE = 'DELETE',
  SET_ROTATION = 'SET_ROTATION',
  SET_BUDGET = 'SET_BUDGET',
  CREDENTIAL_VERIFY = 'CREDENTIAL_VERIFY',
  CREDENTIAL_SWAP = 'CREDENTIAL_SWAP',
  CREDENTIAL_ROTATION_FAILED = 'CREDENTIAL_ROTATION_FAILED',
  CREDENTIAL_ROTATION_NOT_ATTEMPTED = 'CREDENTIAL_ROTATION_NOT_ATTEMPTED',
  CREDENTIAL_ROTATION_REFUSED = 'CREDENTIAL_ROTATION_REFUSED',
}
registerEnumType(AuditAction, {
  name: 'AuditAction',
  description: 'What was done. The API-key actions have subject API_KEY, the CREDENTIAL_ ones (steps of `rotateUpstreamCredentials`) UPSTREAM_CREDENTIAL.',
  valuesConfig: {
    CREDENTIAL_VERIFY: { description: 'A token request with the new client: outcome OK, or FAILED with the code (the old client stays in use).' },
    CREDENTIAL_SWAP: {
      description:
        'The verified client stored (encrypted) and put in use; the old client’s token dropped from memory and the shared token store. ' +
        'FAILED when it could not be stored (nothing swapped). Delete the old client in USM afterwards: the facade never deletes upstream clients.',
    },
    CREDENTIAL_ROTATION_FAILED: { description: 'An entry of a rotation failed (the code says why); the old client stays in use. Entries before it stay rotated: there is no rollback.' },
    CREDENTIAL_ROTATION_NOT_ATTEMPTED: { description: 'An entry of a rotation was not tried, because another entry failed.' },
    CREDENTIAL_ROTATION_REFUSED: { description: 'A rotation refused as a whole, before anything was verified, because a rotation of one of its deployments was running (ROTATION_IN_PROGRESS); details say which, since when and by whom.' },
  },
});

export enum AuditSubject {
  API_KEY = 'API_KEY',
  UPSTREAM_CREDENTIAL = 'UPSTREAM_CREDENTIAL',
}
registerEnumType(AuditSubject, {
  name: 'AuditSubject',
  description: 'What an event is about: one of the facade’s API keys (`keyId`, `keyName`) or the upstream credential of a deployment (`deployment`).',
});

export enum AuditOutcome {
  OK = 'OK',
  FAILED = 'FAILED',
  NOT_ATTEMPTED = 'NOT_ATTEMPTED',
  REFUSED = 'REFUSED',
}
registerEnumType(AuditOutcome, { name: 'AuditOutcome', description: 'How the action ended; every API-key change recorded is OK.' });

@ObjectType({
  simpleResolvers: true,
  description: 'One audited action: a change to an API key, or one step of an upstream credential rotation.',
})
export class AuditEvent {
  @Field(() => ID)
  id!: string;

  @Field(() => DateTime)
  at!: Date;

  @Field({ description: '`key:<name>` for an action of an API key, `scheduler` or `system` otherwise.' })
  actor!: string;

  @Field(() => ID, { nullable: true, description: 'The API key that acted, if one did.' })
  actorKeyId!: string | null;

  @Field(() => AuditAction)
  action!: AuditAction;

  @Field(() => AuditSubject)
  subject!: AuditSubject;

  @Field(() => ID, { nullable: true, description: 'The key changed; null when the subject is not an API key.' })
  keyId!: string | null;

  @Field(() => String, { nullable: true, description: 'The name of the key changed; null when the subject is not an API key.' })
  keyName!: string | null;

  @Field(() => String, { nullable: true, description: 'The deployment (or `central`) whose upstream credential this is about; null for API keys.' })
  deployment!: string | null;

  @Field(() => AuditOutcome)
  outcome!: AuditOutcome;

  @Field(() => String, { nullable: true, description: 'For FAILED and REFUSED: the error code the caller got, e.g. `UPSTREAM_AUTH_FAILED`, `ROTATION_IN_PROGRESS`.' })
  errorCode!: string | null;

  @Field(() => GraphQLJSONObject, {
    description:
      'The facts, never a secret: for API keys what changed (permissions, grace period, …); for upstream credentials ' +
      '`rotationId` (shared by the steps of one rotation), `clientId` (the new client), `previousClientId` (the one in use ' +
      'when the rotation began), and `message`, or who runs the rotation that caused a refusal.',
  })
  details!: Record<string, unknown>;

  static from(record: AuditRecord): AuditEvent {
    const actor = record.actor;
    return Object.assign(new AuditEvent(), {
      id: record.id,
      at: record.at,
      actor: actor.kind === 'KEY' ? `key:${actor.keyName}` : actor.kind.toLowerCase(),
      actorKeyId: actor.kind === 'KEY' ? actor.keyId : null,
      action: record.action as AuditAction,
      subject: record.subject as AuditSubject,
      keyId: record.keyId ?? null,
      keyName: record.keyName ?? null,
      deployment: record.deployment ?? null,
      outcome: record.outcome as AuditOutcome,
      errorCode: record.errorCode,
      details: record.details,
    });
  }
}

export const AuditEventConnection = Connection(AuditEvent);
