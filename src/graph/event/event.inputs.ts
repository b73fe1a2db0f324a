/** Filter of event connections, from the documented `/events` filters. */
import { Field, InputType } from 'type-graphql';
import { DateTime } from '../scalar/date-time.scalar.js';
import type { EventFeedFilter } from '../../loaders/feed.sources.js';
import { timeRange, withoutUndefined } from '../alarm/alarm.inputs.js';

@InputType({ description: 'Which events to return; every given condition must hold.' })
export class EventFilter {
  @Field(() => String, { nullable: true, description: 'Exact plugin name, e.g. `Windows EventLog`.' })
  plugin?: string | null;

  @Field(() => String, { nullable: true, description: 'Exact event name, e.g. `Failed Login`.' })
  name?: string | null;

  @Field(() => String, { nullable: true })
  sourceName?: string | null;

  @Field(() => String, { nullable: true })
  sourceUsername?: string | null;

  @Field(() => String, { nullable: true, description: 'UUID of the sensor.' })
  sensorUuid?: string | null;

  @Field(() => Boolean, { nullable: true })
  suppressed?: boolean | null;

  @Field(() => DateTime, { nullable: true, description: 'Occurred at or after this time.' })
  occurredAfter?: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'Occurred at or before this time.' })
  occurredBefore?: Date | null;
}

export function eventFeedFilter(filter: EventFilter | null | undefined): EventFeedFilter {
  if (filter == null) return {};
  const occurred = timeRange(filter.occurredAfter, filter.occurredBefore, ['occurredAfter', 'occurredBefore']);
  const result: EventFeedFilter = {
    plugin: filter.plugin ?? undefined,
    eventName: filter.name ?? undefined,
    sourceName: filter.sourceName ?? undefined,
    sourceUsername: filter.sourceUsername ?? undefined,
    sensorUuid: filter.sensorUuid ?? undefined,
    suppressed: filter.suppressed ?? undefined,
    occurredGte: occurred.gte,
    occurredLte: occurred.lte,
  };
  return withoutUndefined(result);
}
