/**
 * The filters each list endpoint honours, and the one way a list is answered.
 *
 * Contract: Anywhere and Central list alarms with the same filters and sorts, events
 * likewise; `listCollection` validates the query (400 on a bad value), selects from
 * the sorted index and renders a HAL page. Filters read only fields that never change
 * after an alarm exists (see sorted.index.ts).
 */
import type { AlarmRecord, EventRecord } from './alarm.record.js';
import { ALARM_STATUSES, PRIORITY_LABELS } from './alarm.vocabulary.js';
import { pageSlice, renderHalPage } from './hal.page.js';
import { rawJsonReply, type Reply } from './json.reply.js';
import { parseListQuery, type FilterSpec } from './list.query.js';
import type { Sortable, SortedIndex } from './sorted.index.js';

export const ALARM_FILTERS: readonly FilterSpec<AlarmRecord>[] = [
  { name: 'status', kind: 'enum', values: ALARM_STATUSES, get: (a) => a.doc.status },
  { name: 'suppressed', kind: 'boolean', get: (a) => a.doc.suppressed },
  { name: 'rule_intent', kind: 'exact', get: (a) => a.doc.rule_intent },
  { name: 'rule_method', kind: 'exact', get: (a) => a.doc.rule_method },
  { name: 'rule_strategy', kind: 'exact', get: (a) => a.doc.rule_strategy },
  { name: 'priority_label', kind: 'enum', values: PRIORITY_LABELS, get: (a) => a.doc.priority_label },
  { name: 'alarm_sensor_sources', kind: 'uuid', get: (a) => a.doc.alarm_sensor_sources },
  { name: 'timestamp_occured_gte', kind: 'gte', get: (a) => a.occurred },
  { name: 'timestamp_occured_lte', kind: 'lte', get: (a) => a.occurred },
  { name: 'timestamp_received_gte', kind: 'gte', get: (a) => a.received },
  { name: 'timestamp_received_lte', kind: 'lte', get: (a) => a.received },
];

export const EVENT_FILTERS: readonly FilterSpec<EventRecord>[] = [
  // The spec marks `account_name` required without saying what it must hold; real
  // clients cannot know either, so it is an optional exact filter on the field events
  // carry rather than a reason to refuse the request.
  { name: 'account_name', kind: 'exact', get: (e) => e.account_name },
  { name: 'suppressed', kind: 'boolean', get: (e) => e.suppressed },
  { name: 'plugin', kind: 'exact', get: (e) => e.plugin },
  { name: 'event_name', kind: 'exact', get: (e) => e.event_name },
  { name: 'source_name', kind: 'exact', get: (e) => e.source_name },
  { name: 'sensor_uuid', kind: 'uuid', get: (e) => e.sensor_uuid },
  { name: 'source_username', kind: 'exact', get: (e) => e.source_username },
  { name: 'timestamp_occured_gte', kind: 'gte', get: (e) => e.occurred },
  { name: 'timestamp_occured_lte', kind: 'lte', get: (e) => e.occurred },
];

export interface ListingRequest {
  query: URLSearchParams;
  origin: string;
}

export function listCollection<T extends Sortable>(
  request: ListingRequest,
  index: SortedIndex<T>,
  filters: readonly FilterSpec<T>[],
  collectionPath: string,
  embeddedKey: string,
  render: (item: T, origin: string) => Buffer,
): Reply {
  const query = parseListQuery(request.query, filters);
  const matching = index.select(query.field, query.direction, query.filterKey, query.predicate);
  const body = renderHalPage({
    origin: request.origin,
    collectionPath,
    embeddedKey,
    query: query,
    totalElements: matching.length,
    items: pageSlice(matching, query).map((item) => render(item, request.origin)),
  });
  return rawJsonReply(200, body);
}
