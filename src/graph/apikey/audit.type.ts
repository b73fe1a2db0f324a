/** `AuditEvent`: who did what to which key, when. Never a secret. */
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
}
registerEnumType(AuditAction, { name: 'AuditAction' });

@ObjectType({ simpleResolvers: true, description: 'One change to an API key, as the audit trail keeps it.' })
export class AuditEvent {
  @Field(() => ID)
  id!: string;

  @Field(() => DateTime)
  at!: Date;

  @Field({ description: '`key:<name>` for a change made with an API key, `scheduler` or `system` otherwise.' })
  actor!: string;

  @Field(() => ID, { nullable: true, description: 'The API key that made the change, if one did.' })
  actorKeyId!: string | null;

  @Field(() => AuditAction)
  action!: AuditAction;

  @Field(() => ID, { description: 'The key changed.' })
  keyId!: string;

  @Field()
  keyName!: string;

  @Field(() => GraphQLJSONObject, { description: 'What changed (permissions, grace period, …); never a secret.' })
  details!: Record<string, unknown>;

  static from(record: AuditRecord): AuditEvent {
    const actor = record.actor;
    return Object.assign(new AuditEvent(), {
      id: record.id,
      at: record.at,
      actor: actor.kind === 'KEY' ? `key:${actor.keyName}` : actor.kind.toLowerCase(),
      actorKeyId: actor.kind === 'KEY' ? actor.keyId : null,
      action: record.action as AuditAction,
      keyId: record.keyId,
      keyName: record.keyName,
      details: record.details,
    });
  }
}

export const AuditEventConnection = Connection(AuditEvent);
