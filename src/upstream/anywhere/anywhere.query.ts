/**
 * Query strings for the list endpoints (`/alarms`, `/events`), shared by Anywhere and
 * Central, which filter and sort alike.
 *
 * Contract: every documented filter, plus `timestamp_received_gte|lte` on alarms (real
 * clients use them to catch alarms that become visible late), sorting on the occurred
 * or received time, zero-based `page`, `size` from 1 to 500. A query that breaks a rule
 * is refused before any request with one `BAD_USER_INPUT` listing every problem, each
 * naming the field and what is allowed. Repeatable filters (`status`, `priorityLabel`)
 * become repeated parameters, as in the vendor's own links.
 */
import { z } from 'zod';
import { FacadeError } from '../../errors/facade.error.js';

export const MAX_PAGE_SIZE = 500;
export const ALARM_STATUSES = ['open', 'closed', 'in_review'] as const;
export const PRIORITY_LABELS = ['low', 'medium', 'high'] as const;

export type AlarmStatus = (typeof ALARM_STATUSES)[number];
export type PriorityLabel = (typeof PRIORITY_LABELS)[number];
export type SortField = 'timestampOccurred' | 'timestampReceived';
export type SortDirection = 'asc' | 'desc';

export interface PageRequest {
  /** Zero-based; default 0 (upstream default). */
  page?: number;
  /** 1..500; default 20 (upstream default). */
  size?: number;
  /** Default: occurred time, newest first (upstream default). */
  sort?: { field: SortField; direction: SortDirection };
}

export interface AlarmsQuery extends PageRequest {
  status?: AlarmStatus[];
  suppressed?: boolean;
  ruleIntent?: string;
  ruleMethod?: string;
  ruleStrategy?: string;
  priorityLabel?: PriorityLabel[];
  /** A sensor UUID. */
  alarmSensorSources?: string;
  /** Epoch ms, inclusive. */
  occurredGte?: number;
  occurredLte?: number;
  receivedGte?: number;
  receivedLte?: number;
}

export interface EventsQuery extends PageRequest {
  /** Documented as required by the vendor without saying what it holds; optional here. */
  accountName?: string;
  suppressed?: boolean;
  plugin?: string;
  eventName?: string;
  sourceName?: string;
  /** A sensor UUID. */
  sensorUuid?: string;
  sourceUsername?: string;
  /** Epoch ms, inclusive. */
  occurredGte?: number;
  occurredLte?: number;
}

const epochMs = z.number().int('must be whole epoch milliseconds').min(0, 'must be epoch milliseconds ≥ 0');
const text = z.string().min(1, 'must not be empty');

const pageShape = {
  page: z.number().int('must be a whole number').min(0, 'must be 0 or more').optional(),
  size: z
    .number()
    .int(`must be a whole number from 1 to ${MAX_PAGE_SIZE}`)
    .min(1, `must be from 1 to ${MAX_PAGE_SIZE}`)
    .max(MAX_PAGE_SIZE, `must be from 1 to ${MAX_PAGE_SIZE}`)
    .optional(),
  sort: z
    .strictObject({
      field: z.enum(['timestampOccurred', 'timestampReceived'], { error: 'must be timestampOccurred or timestampReceived' }),
      direction: z.enum(['asc', 'desc'], { error: 'must be asc or desc' }),
    })
    .optional(),
};

const alarmsSchema = z.strictObject({
  ...pageShape,
  status: z.array(z.enum(ALARM_STATUSES, { error: `must be one of ${ALARM_STATUSES.join(', ')}` })).optional(),
  suppressed: z.boolean().optional(),
  ruleIntent: text.optional(),
  ruleMethod: text.optional(),
  ruleStrategy: text.optional(),
  priorityLabel: z.array(z.enum(PRIORITY_LABELS, { error: `must be one of ${PRIORITY_LABELS.join(', ')}` })).optional(),
  alarmSensorSources: text.optional(),
  occurredGte: epochMs.optional(),
  occurredLte: epochMs.optional(),
  receivedGte: epochMs.optional(),
  receivedLte: epochMs.optional(),
});

const eventsSchema = z.strictObject({
  ...pageShape,
  accountName: text.optional(),
  suppressed: z.boolean().optional(),
  plugin: text.optional(),
  eventName: text.optional(),
  sourceName: text.optional(),
  sensorUuid: text.optional(),
  sourceUsername: text.optional(),
  occurredGte: epochMs.optional(),
  occurredLte: epochMs.optional(),
});

/** Query field → upstream parameter. */
const ALARM_PARAMETERS: Record<Exclude<keyof AlarmsQuery, keyof PageRequest>, string> = {
  status: 'status',
  suppressed: 'suppressed',
  ruleIntent: 'rule_intent',
  ruleMethod: 'rule_method',
  ruleStrategy: 'rule_strategy',
  priorityLabel: 'priority_label',
  alarmSensorSources: 'alarm_sensor_sources',
  occurredGte: 'timestamp_occured_gte',
  occurredLte: 'timestamp_occured_lte',
  receivedGte: 'timestamp_received_gte',
  receivedLte: 'timestamp_received_lte',
};

const EVENT_PARAMETERS: Record<Exclude<keyof EventsQuery, keyof PageRequest>, string> = {
  accountName: 'account_name',
  suppressed: 'suppressed',
  plugin: 'plugin',
  eventName: 'event_name',
  sourceName: 'source_name',
  sensorUuid: 'sensor_uuid',
  sourceUsername: 'source_username',
  occurredGte: 'timestamp_occured_gte',
  occurredLte: 'timestamp_occured_lte',
};

/** Upstream spelling of the sort fields (sic: "occured"). */
const SORT_PARAMETER: Record<SortField, string> = {
  timestampOccurred: 'timestamp_occured',
  timestampReceived: 'timestamp_received',
};

export function alarmsSearchParams(query: AlarmsQuery, deployment: string): URLSearchParams {
  return build(alarmsSchema, query, ALARM_PARAMETERS, deployment, 'alarms');
}

export function eventsSearchParams(query: EventsQuery, deployment: string): URLSearchParams {
  return build(eventsSchema, query, EVENT_PARAMETERS, deployment, 'events');
}

function build<Q extends PageRequest>(
  schema: z.ZodType<Q>,
  query: Q,
  parameters: Record<string, string>,
  deployment: string,
  what: string,
): URLSearchParams {
  const parsed = schema.safeParse(query);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const field = issue.path.filter((p) => typeof p === 'string').join('.');
      return `${field === '' ? 'query' : field}: ${issue.code === 'unrecognized_keys' ? `unknown filter ${issue.keys.join(', ')}` : issue.message}`;
    });
    throw new FacadeError('BAD_USER_INPUT', `invalid ${what} query: ${problems.join('; ')}`, {
      deployment,
      details: { problems },
    });
  }
  const values = parsed.data as PageRequest & Record<string, unknown>;
  const params = new URLSearchParams();
  if (values.page !== undefined) params.set('page', String(values.page));
  if (values.size !== undefined) params.set('size', String(values.size));
  if (values.sort !== undefined) params.set('sort', `${SORT_PARAMETER[values.sort.field]},${values.sort.direction}`);
  for (const [field, parameter] of Object.entries(parameters)) {
    const value = values[field];
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) params.append(parameter, String(item));
  }
  return params;
}
