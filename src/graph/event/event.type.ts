/**
 * `Event`: one normalised log event, whether it came from an events page, an event
 * detail, or inside an alarm (flat as in the vendor spec, or wrapped under `message`).
 */
import { Directive, Field, ObjectType } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { DateTime } from '../scalar/date-time.scalar.js';
import { Node } from '../node/node.type.js';

@ObjectType({ simpleResolvers: true, implements: Node, description: 'A USM event: one normalised log record.' })
@Directive('@key(fields: "id")')
export class Event extends Node {
  @Field({ description: 'The event’s UUID in its deployment.' })
  uuid!: string;

  /** The deployment's name; `deployment` resolves it to a `Deployment`. */
  deploymentName!: string;

  @Field(() => String, { nullable: true, description: 'Event name, e.g. `Failed Login`.' })
  name!: string | null;

  @Field(() => DateTime, { nullable: true })
  occurredAt!: Date | null;

  @Field(() => DateTime, { nullable: true })
  receivedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'The plugin that parsed the log, e.g. `Windows EventLog`.' })
  plugin!: string | null;

  @Field(() => String, { nullable: true })
  sourceName!: string | null;

  @Field(() => String, { nullable: true })
  sourceUsername!: string | null;

  @Field(() => String, { nullable: true })
  sensorUuid!: string | null;

  @Field(() => GraphQLJSONObject, { description: 'The upstream document as received.' })
  raw!: Record<string, unknown>;
}
