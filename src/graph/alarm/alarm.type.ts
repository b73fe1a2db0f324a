/**
 * `Alarm` and its parts, as the schema shows them. One `Alarm` whichever way it was
 * fetched (an Anywhere page, an Anywhere detail, USM Central): the mapping from the
 * upstream document lives in `alarm.mapper.ts`.
 */
import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { DateTime } from '../scalar/date-time.scalar.js';
import { Node } from '../node/node.type.js';
import type { AlarmDocument } from '../../upstream/anywhere/anywhere.schemas.js';

export enum AlarmStatus {
  OPEN = 'open',
  CLOSED = 'closed',
  IN_REVIEW = 'in_review',
}
registerEnumType(AlarmStatus, { name: 'AlarmStatus', description: 'Where an alarm is in its review.' });

export enum AlarmPriority {
  LOW = 'low',
  MEDIUM = 'medium',
  HIGH = 'high',
}
registerEnumType(AlarmPriority, { name: 'AlarmPriority', description: 'The priority band USM gives an alarm.' });

@ObjectType({ simpleResolvers: true, description: 'A source or destination of an alarm: a host, an address or an asset.' })
export class AlarmEndpoint {
  @Field(() => String, { nullable: true, description: 'IP address.' })
  address!: string | null;

  @Field(() => String, { nullable: true })
  hostname!: string | null;

  @Field(() => String, { nullable: true })
  fqdn!: string | null;

  @Field(() => String, { nullable: true, description: 'Display name USM gives the endpoint.' })
  name!: string | null;

  @Field(() => String, { nullable: true, description: 'USM asset ID, when the endpoint is a known asset.' })
  assetId!: string | null;

  @Field(() => String, { nullable: true, description: 'Country code, for public addresses.' })
  country!: string | null;

  @Field(() => String, { nullable: true })
  organisation!: string | null;

  @Field(() => Int, { nullable: true, description: 'How many of the alarm’s events involve this endpoint.' })
  eventCount!: number | null;
}

@ObjectType({ simpleResolvers: true, implements: Node, description: 'A USM alarm: a correlation of events that a rule judged worth a look.' })
@Directive('@key(fields: "id")')
export class Alarm extends Node {
  @Field({ description: 'The alarm’s UUID in its deployment.' })
  uuid!: string;

  /** The deployment's name; `deployment` resolves it to a `Deployment`. */
  deploymentName!: string;

  /** The normalised upstream document, for field resolvers (`events`). */
  document!: AlarmDocument;

  @Field(() => AlarmStatus, { nullable: true })
  status!: AlarmStatus | null;

  @Field(() => Int, { nullable: true, description: 'Numeric priority, 0–100.' })
  priority!: number | null;

  @Field(() => AlarmPriority, { nullable: true, description: 'Priority band.' })
  priorityLabel!: AlarmPriority | null;

  @Field(() => Boolean, { nullable: true, description: 'Whether a suppression rule matched the alarm.' })
  suppressed!: boolean | null;

  @Field(() => String, { nullable: true })
  ruleId!: string | null;

  @Field(() => String, { nullable: true, description: 'Intent of the rule, e.g. `Delivery & Attack`.' })
  ruleIntent!: string | null;

  @Field(() => String, { nullable: true, description: 'Method of the rule, e.g. `Brute Force`.' })
  ruleMethod!: string | null;

  @Field(() => String, { nullable: true, description: 'Strategy of the rule, e.g. `Credential Abuse`.' })
  ruleStrategy!: string | null;

  @Field(() => [String], { description: 'MITRE ATT&CK tactics, e.g. `TA0007 - Discovery`.' })
  ruleAttackTactic!: string[];

  @Field(() => String, { nullable: true, description: 'MITRE ATT&CK technique.' })
  ruleAttackTechnique!: string | null;

  @Field(() => DateTime, { nullable: true, description: 'When the alarm’s activity happened.' })
  occurredAt!: Date | null;

  @Field(() => DateTime, {
    nullable: true,
    description: 'When USM received the alarm; can be minutes after `occurredAt` for late arrivals.',
  })
  receivedAt!: Date | null;

  @Field(() => [AlarmEndpoint])
  sources!: AlarmEndpoint[];

  @Field(() => [AlarmEndpoint])
  destinations!: AlarmEndpoint[];

  @Field(() => [String], { description: 'UUIDs of the sensors that saw the alarm’s events.' })
  sensorSources!: string[];

  @Field(() => [String], { description: 'IDs of the labels on the alarm.' })
  labelIds!: string[];

  @Field(() => Int, { nullable: true, description: 'How many events the alarm correlates.' })
  eventsCount!: number | null;

  @Field(() => GraphQLJSONObject, { description: 'The upstream document as received.' })
  raw!: Record<string, unknown>;
}
