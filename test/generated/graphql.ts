/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** Which alarms to return; every given condition must hold. */
export type AlarmFilter = {
  /** Occurred at or after this time. */
  occurredAfter: string | null | undefined;
  /** Occurred at or before this time. */
  occurredBefore: string | null | undefined;
  /** Any of these priority bands. */
  priority: Array<AlarmPriority> | null | undefined;
  /** Received at or after this time. */
  receivedAfter: string | null | undefined;
  /** Received at or before this time. */
  receivedBefore: string | null | undefined;
  /** Exact rule intent, e.g. `Delivery & Attack`. */
  ruleIntent: string | null | undefined;
  /** Exact rule method. */
  ruleMethod: string | null | undefined;
  /** Exact rule strategy. */
  ruleStrategy: string | null | undefined;
  /** UUID of a sensor that saw the alarm. */
  sensorSource: string | null | undefined;
  /** Any of these statuses. */
  status: Array<AlarmStatus> | null | undefined;
  suppressed: boolean | null | undefined;
};

/** How to sort alarms; default newest occurred first. */
export type AlarmOrder = {
  direction: OrderDirection;
  field: AlarmOrderField;
};

/** What alarms are sorted by. */
export type AlarmOrderField =
  /** When the activity happened (`timestamp_occured`). */
  | 'OCCURRED_AT'
  /** When USM received the alarm: use it to catch late arrivals. */
  | 'RECEIVED_AT';

/** The priority band USM gives an alarm. */
export type AlarmPriority =
  | 'HIGH'
  | 'LOW'
  | 'MEDIUM';

/** Where an alarm is in its review. */
export type AlarmStatus =
  | 'CLOSED'
  | 'IN_REVIEW'
  | 'OPEN';

/** Oldest first (ASC) or newest first (DESC). */
export type OrderDirection =
  | 'ASC'
  | 'DESC';

export type AlarmsPageQueryVariables = Exact<{
  deployment: string | null | undefined;
  first: number | null | undefined;
  after: string | null | undefined;
  filter: AlarmFilter | null | undefined;
  orderBy: AlarmOrder | null | undefined;
}>;


export type AlarmsPageQuery = { alarms: { totalCount: number, edges: Array<{ cursor: string, node: { id: string, uuid: string, status: AlarmStatus | null, priorityLabel: AlarmPriority | null, occurredAt: string | null, receivedAt: string | null, labelIds: Array<string>, deployment: { name: string } } }>, pageInfo: { hasNextPage: boolean, hasPreviousPage: boolean, startCursor: string | null, endCursor: string | null } } };

export type DeploymentsQueryVariables = Exact<{ [key: string]: never; }>;


export type DeploymentsQuery = { deployments: Array<{ id: string, name: string, displayName: string | null, hasCredentials: boolean }> };
