/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** A date-time string at UTC, such as 2007-12-03T10:15:30Z, compliant with the `date-time` format outlined in section 5.6 of the RFC 3339 profile of the ISO 8601 standard for representation of dates and times using the Gregorian calendar. */
  DateTime: { input: string; output: string; }
  /** The `JSONObject` scalar type represents JSON objects as specified by [ECMA-404](http://www.ecma-international.org/publications/files/ECMA-ST/ECMA-404.pdf). */
  JSONObject: { input: Record<string, unknown>; output: Record<string, unknown>; }
};

/** A USM alarm: a correlation of events that a rule judged worth a look. */
export type Alarm = Node & {
  __typename?: 'Alarm';
  /** The deployment that raised the alarm. */
  deployment: Deployment;
  destinations: Array<AlarmEndpoint>;
  /** The events the alarm correlates, oldest first, from the alarm’s own document (no extra call). */
  events: EventConnection;
  /** How many events the alarm correlates. */
  eventsCount: Maybe<Scalars['Int']['output']>;
  /** Opaque global ID; pass it to `node(id:)` to refetch this object. */
  id: Scalars['ID']['output'];
  /** IDs of the labels on the alarm. */
  labelIds: Array<Scalars['String']['output']>;
  /** When the alarm’s activity happened. */
  occurredAt: Maybe<Scalars['DateTime']['output']>;
  /** Numeric priority, 0–100. */
  priority: Maybe<Scalars['Int']['output']>;
  /** Priority band. */
  priorityLabel: Maybe<AlarmPriority>;
  /** The upstream document as received. */
  raw: Scalars['JSONObject']['output'];
  /** When USM received the alarm; can be minutes after `occurredAt` for late arrivals. */
  receivedAt: Maybe<Scalars['DateTime']['output']>;
  /** MITRE ATT&CK tactics, e.g. `TA0007 - Discovery`. */
  ruleAttackTactic: Array<Scalars['String']['output']>;
  /** MITRE ATT&CK technique. */
  ruleAttackTechnique: Maybe<Scalars['String']['output']>;
  ruleId: Maybe<Scalars['String']['output']>;
  /** Intent of the rule, e.g. `Delivery & Attack`. */
  ruleIntent: Maybe<Scalars['String']['output']>;
  /** Method of the rule, e.g. `Brute Force`. */
  ruleMethod: Maybe<Scalars['String']['output']>;
  /** Strategy of the rule, e.g. `Credential Abuse`. */
  ruleStrategy: Maybe<Scalars['String']['output']>;
  /** UUIDs of the sensors that saw the alarm’s events. */
  sensorSources: Array<Scalars['String']['output']>;
  sources: Array<AlarmEndpoint>;
  status: Maybe<AlarmStatus>;
  /** Whether a suppression rule matched the alarm. */
  suppressed: Maybe<Scalars['Boolean']['output']>;
  /** The alarm’s UUID in its deployment. */
  uuid: Scalars['String']['output'];
};


/** A USM alarm: a correlation of events that a rule judged worth a look. */
export type AlarmEventsArgs = {
  after: InputMaybe<Scalars['String']['input']>;
  before: InputMaybe<Scalars['String']['input']>;
  first: InputMaybe<Scalars['Int']['input']>;
  last: InputMaybe<Scalars['Int']['input']>;
};

/** A page of Alarm items, per the Relay connection spec. */
export type AlarmConnection = {
  __typename?: 'AlarmConnection';
  /** The items of this page, in the requested order. */
  edges: Array<AlarmEdge>;
  /** Cursors and whether more items exist on either side. */
  pageInfo: PageInfo;
  /** How many items match the filter in all, ignoring first/last/after/before. */
  totalCount: Scalars['Int']['output'];
};

/** One Alarm in a connection, with the cursor that resumes after it. */
export type AlarmEdge = {
  __typename?: 'AlarmEdge';
  /** Opaque cursor: pass it to `after` or `before` to page from this edge. */
  cursor: Scalars['String']['output'];
  /** The Alarm. */
  node: Alarm;
};

/** A source or destination of an alarm: a host, an address or an asset. */
export type AlarmEndpoint = {
  __typename?: 'AlarmEndpoint';
  /** IP address. */
  address: Maybe<Scalars['String']['output']>;
  /** USM asset ID, when the endpoint is a known asset. */
  assetId: Maybe<Scalars['String']['output']>;
  /** Country code, for public addresses. */
  country: Maybe<Scalars['String']['output']>;
  /** How many of the alarm’s events involve this endpoint. */
  eventCount: Maybe<Scalars['Int']['output']>;
  fqdn: Maybe<Scalars['String']['output']>;
  hostname: Maybe<Scalars['String']['output']>;
  /** Display name USM gives the endpoint. */
  name: Maybe<Scalars['String']['output']>;
  organisation: Maybe<Scalars['String']['output']>;
};

/** Which alarms to return; every given condition must hold. */
export type AlarmFilter = {
  /** Occurred at or after this time. */
  occurredAfter: InputMaybe<Scalars['DateTime']['input']>;
  /** Occurred at or before this time. */
  occurredBefore: InputMaybe<Scalars['DateTime']['input']>;
  /** Any of these priority bands. */
  priority: InputMaybe<Array<AlarmPriority>>;
  /** Received at or after this time. */
  receivedAfter: InputMaybe<Scalars['DateTime']['input']>;
  /** Received at or before this time. */
  receivedBefore: InputMaybe<Scalars['DateTime']['input']>;
  /** Exact rule intent, e.g. `Delivery & Attack`. */
  ruleIntent: InputMaybe<Scalars['String']['input']>;
  /** Exact rule method. */
  ruleMethod: InputMaybe<Scalars['String']['input']>;
  /** Exact rule strategy. */
  ruleStrategy: InputMaybe<Scalars['String']['input']>;
  /** UUID of a sensor that saw the alarm. */
  sensorSource: InputMaybe<Scalars['String']['input']>;
  /** Any of these statuses. */
  status: InputMaybe<Array<AlarmStatus>>;
  suppressed: InputMaybe<Scalars['Boolean']['input']>;
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

/** An API key of this facade. Its secret is never shown again after it was made. */
export type ApiKey = {
  __typename?: 'ApiKey';
  createdAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  /** The key made on first start; it cannot be deleted or revoked, only reset. */
  isDefault: Scalars['Boolean']['output'];
  lastRotatedAt: Maybe<Scalars['DateTime']['output']>;
  /** Recorded at most once a minute. */
  lastUsedAt: Maybe<Scalars['DateTime']['output']>;
  name: Scalars['String']['output'];
  /** When the rotation policy rotates the key next. */
  nextRotationAt: Maybe<Scalars['DateTime']['output']>;
  permissions: Array<Permission>;
  /** Until when the secret before the last rotation still works; null when it no longer does. */
  previousSecretValidUntil: Maybe<Scalars['DateTime']['output']>;
  revokedAt: Maybe<Scalars['DateTime']['output']>;
  /** Null: the key never rotates on its own. */
  rotation: Maybe<RotationPolicy>;
  status: ApiKeyStatus;
};

/** A new secret for the key this connection authenticated with. */
export type ApiKeyRotation = {
  __typename?: 'ApiKeyRotation';
  keyId: Scalars['ID']['output'];
  /** Until when the previous secret still works. */
  previousSecretValidUntil: Maybe<Scalars['DateTime']['output']>;
  rotatedAt: Scalars['DateTime']['output'];
  /** The complete new key to present from now on. */
  secret: Scalars['String']['output'];
  /** MANUAL, SCHEDULED or RESET. */
  trigger: Scalars['String']['output'];
};

/** A key after its rotation policy changed. */
export type ApiKeyRotationChange = {
  __typename?: 'ApiKeyRotationChange';
  key: ApiKey;
  warnings: Array<Scalars['String']['output']>;
};

export type ApiKeyStatus =
  | 'ACTIVE'
  | 'REVOKED';

export type AuditAction =
  | 'CREATE'
  | 'DELETE'
  | 'RESET'
  | 'REVOKE'
  | 'ROTATE'
  | 'SET_ROTATION';

/** One change to an API key, as the audit trail keeps it. */
export type AuditEvent = {
  __typename?: 'AuditEvent';
  action: AuditAction;
  /** `key:<name>` for a change made with an API key, `scheduler` or `system` otherwise. */
  actor: Scalars['String']['output'];
  /** The API key that made the change, if one did. */
  actorKeyId: Maybe<Scalars['ID']['output']>;
  at: Scalars['DateTime']['output'];
  /** What changed (permissions, grace period, …); never a secret. */
  details: Scalars['JSONObject']['output'];
  id: Scalars['ID']['output'];
  /** The key changed. */
  keyId: Scalars['ID']['output'];
  keyName: Scalars['String']['output'];
};

/** A page of AuditEvent items, per the Relay connection spec. */
export type AuditEventConnection = {
  __typename?: 'AuditEventConnection';
  /** The items of this page, in the requested order. */
  edges: Array<AuditEventEdge>;
  /** Cursors and whether more items exist on either side. */
  pageInfo: PageInfo;
  /** How many items match the filter in all, ignoring first/last/after/before. */
  totalCount: Scalars['Int']['output'];
};

/** One AuditEvent in a connection, with the cursor that resumes after it. */
export type AuditEventEdge = {
  __typename?: 'AuditEventEdge';
  /** Opaque cursor: pass it to `after` or `before` to page from this edge. */
  cursor: Scalars['String']['output'];
  /** The AuditEvent. */
  node: AuditEvent;
};

export type CreateApiKeyInput = {
  /** Unique name, 1–100 characters. */
  name: Scalars['String']['input'];
  /** Default `[ALARMS_READ]`. You can grant only what your key holds. */
  permissions: InputMaybe<Array<Permission>>;
  /** Default none: the key never rotates on its own. */
  rotation: InputMaybe<RotationPolicyInput>;
};

/** A key with its secret: shown in this answer only, so store it now. */
export type CreatedApiKey = {
  __typename?: 'CreatedApiKey';
  key: ApiKey;
  /** The complete key (`usmf_…`): send it as `Authorization: Bearer <secret>` or `X-API-Key`. */
  secret: Scalars['String']['output'];
  /** Accepted but inadvisable choices, e.g. a one-day rotation interval. */
  warnings: Array<Scalars['String']['output']>;
};

/** A USM Anywhere deployment (a subdomain such as acme-east.alienvault.cloud). */
export type Deployment = Node & {
  __typename?: 'Deployment';
  /** This deployment’s alarms; see `Query.alarms`. */
  alarms: AlarmConnection;
  /** Whether USM Central is authorized on this deployment. */
  authorized: Maybe<Scalars['Boolean']['output']>;
  /** Connection status as USM Central reports it (`connected`, `disconnected`). */
  connectionStatus: Maybe<Scalars['String']['output']>;
  /** Name shown in USM Central; null without Central. */
  displayName: Maybe<Scalars['String']['output']>;
  /** This deployment’s events; see `Query.events`. */
  events: EventConnection;
  /** Host name, e.g. `acme-east.alienvault.cloud`. */
  fqdn: Maybe<Scalars['String']['output']>;
  /** Whether the facade holds API credentials for this deployment, so its alarms are readable. */
  hasCredentials: Scalars['Boolean']['output'];
  /** Opaque global ID; pass it to `node(id:)` to refetch this object. */
  id: Scalars['ID']['output'];
  /** When the deployment joined USM Central. */
  joinedSince: Maybe<Scalars['DateTime']['output']>;
  /** Short name, the subdomain: `acme-east`. */
  name: Scalars['String']['output'];
  /** Product type as USM Central reports it (`USM Anywhere`). */
  type: Maybe<Scalars['String']['output']>;
};


/** A USM Anywhere deployment (a subdomain such as acme-east.alienvault.cloud). */
export type DeploymentAlarmsArgs = {
  after: InputMaybe<Scalars['String']['input']>;
  before: InputMaybe<Scalars['String']['input']>;
  filter: InputMaybe<AlarmFilter>;
  first: InputMaybe<Scalars['Int']['input']>;
  last: InputMaybe<Scalars['Int']['input']>;
  orderBy: InputMaybe<AlarmOrder>;
};


/** A USM Anywhere deployment (a subdomain such as acme-east.alienvault.cloud). */
export type DeploymentEventsArgs = {
  after: InputMaybe<Scalars['String']['input']>;
  before: InputMaybe<Scalars['String']['input']>;
  filter: InputMaybe<EventFilter>;
  first: InputMaybe<Scalars['Int']['input']>;
  last: InputMaybe<Scalars['Int']['input']>;
};

/** A USM event: one normalised log record. */
export type Event = Node & {
  __typename?: 'Event';
  /** The deployment that recorded the event. */
  deployment: Deployment;
  /** Opaque global ID; pass it to `node(id:)` to refetch this object. */
  id: Scalars['ID']['output'];
  /** Event name, e.g. `Failed Login`. */
  name: Maybe<Scalars['String']['output']>;
  occurredAt: Maybe<Scalars['DateTime']['output']>;
  /** The plugin that parsed the log, e.g. `Windows EventLog`. */
  plugin: Maybe<Scalars['String']['output']>;
  /** The upstream document as received. */
  raw: Scalars['JSONObject']['output'];
  receivedAt: Maybe<Scalars['DateTime']['output']>;
  sensorUuid: Maybe<Scalars['String']['output']>;
  sourceName: Maybe<Scalars['String']['output']>;
  sourceUsername: Maybe<Scalars['String']['output']>;
  /** The event’s UUID in its deployment. */
  uuid: Scalars['String']['output'];
};

/** A page of Event items, per the Relay connection spec. */
export type EventConnection = {
  __typename?: 'EventConnection';
  /** The items of this page, in the requested order. */
  edges: Array<EventEdge>;
  /** Cursors and whether more items exist on either side. */
  pageInfo: PageInfo;
  /** How many items match the filter in all, ignoring first/last/after/before. */
  totalCount: Scalars['Int']['output'];
};

/** One Event in a connection, with the cursor that resumes after it. */
export type EventEdge = {
  __typename?: 'EventEdge';
  /** Opaque cursor: pass it to `after` or `before` to page from this edge. */
  cursor: Scalars['String']['output'];
  /** The Event. */
  node: Event;
};

/** Which events to return; every given condition must hold. */
export type EventFilter = {
  /** Exact event name, e.g. `Failed Login`. */
  name: InputMaybe<Scalars['String']['input']>;
  /** Occurred at or after this time. */
  occurredAfter: InputMaybe<Scalars['DateTime']['input']>;
  /** Occurred at or before this time. */
  occurredBefore: InputMaybe<Scalars['DateTime']['input']>;
  /** Exact plugin name, e.g. `Windows EventLog`. */
  plugin: InputMaybe<Scalars['String']['input']>;
  /** UUID of the sensor. */
  sensorUuid: InputMaybe<Scalars['String']['input']>;
  sourceName: InputMaybe<Scalars['String']['input']>;
  sourceUsername: InputMaybe<Scalars['String']['input']>;
  suppressed: InputMaybe<Scalars['Boolean']['input']>;
};

export type Mutation = {
  __typename?: 'Mutation';
  /** Puts a label on an alarm (idempotent) and returns the alarm as it now is. */
  addAlarmLabel: Alarm;
  /** Makes a key; its secret is in this answer only. */
  createApiKey: CreatedApiKey;
  /** Removes the key; the default key cannot be deleted. */
  deleteApiKey: ApiKey;
  /** Takes a label off an alarm (idempotent) and returns the alarm as it now is. */
  removeAlarmLabel: Alarm;
  /** A new secret now; the old one stops working at once. */
  resetApiKey: CreatedApiKey;
  /** Stops the key working at once, on every replica; it stays listed. */
  revokeApiKey: ApiKey;
  /** A new secret now; the previous one keeps working for the grace period (default: the key’s policy, else one day). */
  rotateApiKey: CreatedApiKey;
  /** Sets (or with null, removes) the key’s rotation schedule. */
  setApiKeyRotation: ApiKeyRotationChange;
};


export type MutationAddAlarmLabelArgs = {
  alarmId: Scalars['ID']['input'];
  labelId: Scalars['String']['input'];
};


export type MutationCreateApiKeyArgs = {
  input: CreateApiKeyInput;
};


export type MutationDeleteApiKeyArgs = {
  id: Scalars['ID']['input'];
};


export type MutationRemoveAlarmLabelArgs = {
  alarmId: Scalars['ID']['input'];
  labelId: Scalars['String']['input'];
};


export type MutationResetApiKeyArgs = {
  id: Scalars['ID']['input'];
};


export type MutationRevokeApiKeyArgs = {
  id: Scalars['ID']['input'];
};


export type MutationRotateApiKeyArgs = {
  gracePeriod: InputMaybe<Scalars['String']['input']>;
  id: Scalars['ID']['input'];
};


export type MutationSetApiKeyRotationArgs = {
  id: Scalars['ID']['input'];
  rotation: InputMaybe<RotationPolicyInput>;
};

/** An object with a globally unique, opaque ID that `node(id:)` refetches. */
export type Node = {
  /** Opaque global ID; pass it to `node(id:)` to refetch this object. */
  id: Scalars['ID']['output'];
};

/** Oldest first (ASC) or newest first (DESC). */
export type OrderDirection =
  | 'ASC'
  | 'DESC';

/** Where a page of a connection starts and ends, per the Relay connection spec. */
export type PageInfo = {
  __typename?: 'PageInfo';
  /** Cursor of the last edge; null on an empty page. */
  endCursor: Maybe<Scalars['String']['output']>;
  /** More items follow `endCursor` (query again with `after: endCursor`). */
  hasNextPage: Scalars['Boolean']['output'];
  /** Items precede `startCursor` (query again with `before: startCursor`). */
  hasPreviousPage: Scalars['Boolean']['output'];
  /** Cursor of the first edge; null on an empty page. */
  startCursor: Maybe<Scalars['String']['output']>;
};

/** What an API key may do. */
export type Permission =
  /** `alarms:read`: query alarms, events and deployments. */
  | 'ALARMS_READ'
  /** `alarms:write`: add and remove alarm labels. */
  | 'ALARMS_WRITE'
  /** `credentials:manage`: see and rotate the upstream USM client credentials. */
  | 'CREDENTIALS_MANAGE'
  /** `keys:manage`: create, rotate, reset, revoke and delete API keys; read the audit trail. */
  | 'KEYS_MANAGE';

export type Query = {
  __typename?: 'Query';
  /** One alarm by its ID; null when its deployment does not know it. */
  alarm: Maybe<Alarm>;
  /** Alarms of one deployment, or one feed over every readable deployment when `deployment` is omitted, in the requested order (default newest occurred first). Cursors resume exactly where a page ended, also while new alarms arrive. */
  alarms: AlarmConnection;
  /** Every API key of this facade, revoked ones included. */
  apiKeys: Array<ApiKey>;
  /** Changes to API keys, newest first. */
  auditEvents: AuditEventConnection;
  /** One deployment by its short name; null when unknown. */
  deployment: Maybe<Deployment>;
  /** Every deployment the facade knows of: from USM Central when configured, and the configured ones. */
  deployments: Array<Deployment>;
  /** One event by its ID; null when its deployment does not know it. */
  event: Maybe<Event>;
  /** Events of one deployment, or of every readable deployment when omitted, newest first. */
  events: EventConnection;
  /** Any object by its global ID; null when it no longer exists. */
  node: Maybe<Node>;
  /** Many objects by global ID (at most 100), in the order asked; null for each that no longer exists. */
  nodes: Array<Maybe<Node>>;
  /** The API key this request authenticated with. */
  viewer: ApiKey;
};


export type QueryAlarmArgs = {
  id: Scalars['ID']['input'];
};


export type QueryAlarmsArgs = {
  after: InputMaybe<Scalars['String']['input']>;
  before: InputMaybe<Scalars['String']['input']>;
  deployment: InputMaybe<Scalars['String']['input']>;
  filter: InputMaybe<AlarmFilter>;
  first: InputMaybe<Scalars['Int']['input']>;
  last: InputMaybe<Scalars['Int']['input']>;
  orderBy: InputMaybe<AlarmOrder>;
};


export type QueryAuditEventsArgs = {
  after: InputMaybe<Scalars['String']['input']>;
  first: InputMaybe<Scalars['Int']['input']>;
};


export type QueryDeploymentArgs = {
  name: Scalars['String']['input'];
};


export type QueryEventArgs = {
  id: Scalars['ID']['input'];
};


export type QueryEventsArgs = {
  after: InputMaybe<Scalars['String']['input']>;
  before: InputMaybe<Scalars['String']['input']>;
  deployment: InputMaybe<Scalars['String']['input']>;
  filter: InputMaybe<EventFilter>;
  first: InputMaybe<Scalars['Int']['input']>;
  last: InputMaybe<Scalars['Int']['input']>;
};


export type QueryNodeArgs = {
  id: Scalars['ID']['input'];
};


export type QueryNodesArgs = {
  ids: Array<Scalars['ID']['input']>;
};

/** When a key rotates on its own, and how long the previous secret keeps working. */
export type RotationPolicy = {
  __typename?: 'RotationPolicy';
  /** ISO 8601 duration the previous secret keeps working after a rotation, e.g. `P15D`. */
  gracePeriod: Scalars['String']['output'];
  /** ISO 8601 duration between rotations, e.g. `P30D`. */
  interval: Scalars['String']['output'];
};

/** A rotation schedule: `P30D` interval with `P15D` grace is what the docs advise. */
export type RotationPolicyInput = {
  /** ISO 8601 duration the previous secret keeps working; shorter than the interval. */
  gracePeriod: Scalars['String']['input'];
  /** ISO 8601 duration between rotations, at least `P1D` (one day is accepted with a warning). */
  interval: Scalars['String']['input'];
};

export type Subscription = {
  __typename?: 'Subscription';
  /** The new secret of the key this connection authenticated with, each time it rotates, so a long-running client keeps working without a restart. */
  apiKeyRotated: ApiKeyRotation;
};

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
