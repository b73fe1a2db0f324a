/**
 * Filter and order of alarm connections, and their translation to the upstream query.
 *
 * Contract: `alarmFeedFilter` maps an `AlarmFilter` to the upstream's filter, refusing
 * contradictory ranges (after later than before) with BAD_USER_INPUT saying what is
 * allowed; lists are sorted so the same filter always gives the same cursor key.
 */
import { Field, InputType, registerEnumType } from 'type-graphql';
import { DateTime } from '../scalar/date-time.scalar.js';
import { FacadeError } from '../../errors/facade.error.js';
import type { AlarmFeedFilter } from '../../loaders/feed.sources.js';
import type { SortField } from '../../upstream/anywhere/anywhere.query.js';
import { AlarmPriority, AlarmStatus } from './alarm.type.js';

export enum AlarmOrderField {
  OCCURRED_AT = 'OCCURRED_AT',
  RECEIVED_AT = 'RECEIVED_AT',
}
registerEnumType(AlarmOrderField, {
  name: 'AlarmOrderField',
  description: 'What alarms are sorted by.',
  valuesConfig: {
    OCCURRED_AT: { description: 'When the activity happened (`timestamp_occured`).' },
    RECEIVED_AT: { description: 'When USM received the alarm: use it to catch late arrivals.' },
  },
});

export enum OrderDirection {
  ASC = 'asc',
  DESC = 'desc',
}
registerEnumType(OrderDirection, { name: 'OrderDirection', description: 'Oldest first (ASC) or newest first (DESC).' });

@InputType({ description: 'How to sort alarms; default newest occurred first.' })
export class AlarmOrder {
  @Field(() => AlarmOrderField, { defaultValue: AlarmOrderField.OCCURRED_AT })
  field: AlarmOrderField = AlarmOrderField.OCCURRED_AT;

  @Field(() => OrderDirection, { defaultValue: OrderDirection.DESC })
  direction: OrderDirection = OrderDirection.DESC;
}

@InputType({ description: 'Which alarms to return; every given condition must hold.' })
export class AlarmFilter {
  @Field(() => [AlarmStatus], { nullable: true, description: 'Any of these statuses.' })
  status?: AlarmStatus[] | null;

  @Field(() => [AlarmPriority], { nullable: true, description: 'Any of these priority bands.' })
  priority?: AlarmPriority[] | null;

  @Field(() => Boolean, { nullable: true })
  suppressed?: boolean | null;

  @Field(() => String, { nullable: true, description: 'Exact rule intent, e.g. `Delivery & Attack`.' })
  ruleIntent?: string | null;

  @Field(() => String, { nullable: true, description: 'Exact rule method.' })
  ruleMethod?: string | null;

  @Field(() => String, { nullable: true, description: 'Exact rule strategy.' })
  ruleStrategy?: string | null;

  @Field(() => String, { nullable: true, description: 'UUID of a sensor that saw the alarm.' })
  sensorSource?: string | null;

  @Field(() => DateTime, { nullable: true, description: 'Occurred at or after this time.' })
  occurredAfter?: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'Occurred at or before this time.' })
  occurredBefore?: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'Received at or after this time.' })
  receivedAfter?: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'Received at or before this time.' })
  receivedBefore?: Date | null;
}

export const sortFieldOf = (order: AlarmOrder | null | undefined): SortField =>
  order?.field === AlarmOrderField.RECEIVED_AT ? 'timestampReceived' : 'timestampOccurred';

export const directionOf = (order: AlarmOrder | null | undefined): 'asc' | 'desc' =>
  order?.direction === OrderDirection.ASC ? 'asc' : 'desc';

/** Checks an after/before pair and gives it as epoch ms. */
export function timeRange(
  after: Date | null | undefined,
  before: Date | null | undefined,
  names: [string, string],
): { gte?: number; lte?: number } {
  const gte = after?.getTime();
  const lte = before?.getTime();
  if (gte !== undefined && lte !== undefined && gte > lte) {
    throw new FacadeError(
      'BAD_USER_INPUT',
      `filter.${names[0]} (${after!.toISOString()}) is later than filter.${names[1]} (${before!.toISOString()}); ` +
        `give a range whose start is at or before its end`,
      { details: { argument: 'filter' } },
    );
  }
  return { ...(gte === undefined ? {} : { gte }), ...(lte === undefined ? {} : { lte }) };
}

const sortedUnique = <T extends string>(values: readonly T[] | null | undefined): T[] | undefined =>
  values == null || values.length === 0 ? undefined : [...new Set(values)].sort();

export function alarmFeedFilter(filter: AlarmFilter | null | undefined): AlarmFeedFilter {
  if (filter == null) return {};
  const occurred = timeRange(filter.occurredAfter, filter.occurredBefore, ['occurredAfter', 'occurredBefore']);
  const received = timeRange(filter.receivedAfter, filter.receivedBefore, ['receivedAfter', 'receivedBefore']);
  const result: AlarmFeedFilter = {
    status: sortedUnique(filter.status),
    priorityLabel: sortedUnique(filter.priority),
    suppressed: filter.suppressed ?? undefined,
    ruleIntent: filter.ruleIntent ?? undefined,
    ruleMethod: filter.ruleMethod ?? undefined,
    ruleStrategy: filter.ruleStrategy ?? undefined,
    alarmSensorSources: filter.sensorSource ?? undefined,
    occurredGte: occurred.gte,
    occurredLte: occurred.lte,
    receivedGte: received.gte,
    receivedLte: received.lte,
  };
  return withoutUndefined(result);
}

/** Drops absent conditions, so equal filters give equal cursor keys. */
export function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
