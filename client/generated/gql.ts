/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "mutation AddAlarmLabel($alarmId: ID!, $labelId: String!) {\n  addAlarmLabel(alarmId: $alarmId, labelId: $labelId) {\n    id\n    labelIds\n  }\n}": typeof types.AddAlarmLabelDocument,
    "query AlarmDetails($id: ID!) {\n  alarm(id: $id) {\n    id\n    uuid\n    priorityLabel\n    status\n    occurredAt\n    receivedAt\n    ruleIntent\n    ruleStrategy\n    ruleMethod\n    labelIds\n    sources {\n      hostname\n      address\n    }\n    destinations {\n      hostname\n      address\n    }\n    deployment {\n      name\n      displayName\n    }\n    events(first: 20) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          occurredAt\n          sourceName\n          sourceUsername\n        }\n      }\n    }\n  }\n}": typeof types.AlarmDetailsDocument,
    "query AlarmsByPriority($priority: [AlarmPriority!] = [HIGH], $first: Int = 20) {\n  alarms(first: $first, filter: {priority: $priority}) {\n    totalCount\n    edges {\n      node {\n        id\n        priorityLabel\n        status\n        occurredAt\n        ruleMethod\n        labelIds\n        deployment {\n          name\n        }\n      }\n    }\n  }\n}": typeof types.AlarmsByPriorityDocument,
    "query AlarmsNextPage($first: Int = 10, $after: String) {\n  alarms(first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        id\n        priorityLabel\n        occurredAt\n      }\n    }\n    pageInfo {\n      hasNextPage\n      hasPreviousPage\n      startCursor\n      endCursor\n    }\n  }\n}": typeof types.AlarmsNextPageDocument,
    "query AlarmsPreviousPage($last: Int = 10, $before: String) {\n  alarms(last: $last, before: $before) {\n    edges {\n      cursor\n      node {\n        id\n        priorityLabel\n        occurredAt\n      }\n    }\n    pageInfo {\n      hasNextPage\n      hasPreviousPage\n      startCursor\n      endCursor\n    }\n  }\n}": typeof types.AlarmsPreviousPageDocument,
    "subscription LiveAlarmPage($deployment: String, $first: Int = 10) {\n  alarmPage(deployment: $deployment, first: $first) {\n    totalCount\n    edges {\n      node {\n        id\n        priorityLabel\n        status\n        occurredAt\n        deployment {\n          name\n        }\n      }\n    }\n  }\n}": typeof types.LiveAlarmPageDocument,
    "mutation RemoveAlarmLabel($alarmId: ID!, $labelId: String!) {\n  removeAlarmLabel(alarmId: $alarmId, labelId: $labelId) {\n    id\n    labelIds\n  }\n}": typeof types.RemoveAlarmLabelDocument,
    "mutation RotateApiKey($id: ID!, $gracePeriod: String = \"P1D\") {\n  rotateApiKey(id: $id, gracePeriod: $gracePeriod) {\n    secret\n    warnings\n    key {\n      id\n      name\n      lastRotatedAt\n      previousSecretValidUntil\n    }\n  }\n}": typeof types.RotateApiKeyDocument,
    "query Viewer {\n  viewer {\n    id\n    name\n    permissions\n    status\n    nextRotationAt\n  }\n}": typeof types.ViewerDocument,
};
const documents: Documents = {
    "mutation AddAlarmLabel($alarmId: ID!, $labelId: String!) {\n  addAlarmLabel(alarmId: $alarmId, labelId: $labelId) {\n    id\n    labelIds\n  }\n}": types.AddAlarmLabelDocument,
    "query AlarmDetails($id: ID!) {\n  alarm(id: $id) {\n    id\n    uuid\n    priorityLabel\n    status\n    occurredAt\n    receivedAt\n    ruleIntent\n    ruleStrategy\n    ruleMethod\n    labelIds\n    sources {\n      hostname\n      address\n    }\n    destinations {\n      hostname\n      address\n    }\n    deployment {\n      name\n      displayName\n    }\n    events(first: 20) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          occurredAt\n          sourceName\n          sourceUsername\n        }\n      }\n    }\n  }\n}": types.AlarmDetailsDocument,
    "query AlarmsByPriority($priority: [AlarmPriority!] = [HIGH], $first: Int = 20) {\n  alarms(first: $first, filter: {priority: $priority}) {\n    totalCount\n    edges {\n      node {\n        id\n        priorityLabel\n        status\n        occurredAt\n        ruleMethod\n        labelIds\n        deployment {\n          name\n        }\n      }\n    }\n  }\n}": types.AlarmsByPriorityDocument,
    "query AlarmsNextPage($first: Int = 10, $after: String) {\n  alarms(first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        id\n        priorityLabel\n        occurredAt\n      }\n    }\n    pageInfo {\n      hasNextPage\n      hasPreviousPage\n      startCursor\n      endCursor\n    }\n  }\n}": types.AlarmsNextPageDocument,
    "query AlarmsPreviousPage($last: Int = 10, $before: String) {\n  alarms(last: $last, before: $before) {\n    edges {\n      cursor\n      node {\n        id\n        priorityLabel\n        occurredAt\n      }\n    }\n    pageInfo {\n      hasNextPage\n      hasPreviousPage\n      startCursor\n      endCursor\n    }\n  }\n}": types.AlarmsPreviousPageDocument,
    "subscription LiveAlarmPage($deployment: String, $first: Int = 10) {\n  alarmPage(deployment: $deployment, first: $first) {\n    totalCount\n    edges {\n      node {\n        id\n        priorityLabel\n        status\n        occurredAt\n        deployment {\n          name\n        }\n      }\n    }\n  }\n}": types.LiveAlarmPageDocument,
    "mutation RemoveAlarmLabel($alarmId: ID!, $labelId: String!) {\n  removeAlarmLabel(alarmId: $alarmId, labelId: $labelId) {\n    id\n    labelIds\n  }\n}": types.RemoveAlarmLabelDocument,
    "mutation RotateApiKey($id: ID!, $gracePeriod: String = \"P1D\") {\n  rotateApiKey(id: $id, gracePeriod: $gracePeriod) {\n    secret\n    warnings\n    key {\n      id\n      name\n      lastRotatedAt\n      previousSecretValidUntil\n    }\n  }\n}": types.RotateApiKeyDocument,
    "query Viewer {\n  viewer {\n    id\n    name\n    permissions\n    status\n    nextRotationAt\n  }\n}": types.ViewerDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation AddAlarmLabel($alarmId: ID!, $labelId: String!) {\n  addAlarmLabel(alarmId: $alarmId, labelId: $labelId) {\n    id\n    labelIds\n  }\n}"): (typeof documents)["mutation AddAlarmLabel($alarmId: ID!, $labelId: String!) {\n  addAlarmLabel(alarmId: $alarmId, labelId: $labelId) {\n    id\n    labelIds\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query AlarmDetails($id: ID!) {\n  alarm(id: $id) {\n    id\n    uuid\n    priorityLabel\n    status\n    occurredAt\n    receivedAt\n    ruleIntent\n    ruleStrategy\n    ruleMethod\n    labelIds\n    sources {\n      hostname\n      address\n    }\n    destinations {\n      hostname\n      address\n    }\n    deployment {\n      name\n      displayName\n    }\n    events(first: 20) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          occurredAt\n          sourceName\n          sourceUsername\n        }\n      }\n    }\n  }\n}"): (typeof documents)["query AlarmDetails($id: ID!) {\n  alarm(id: $id) {\n    id\n    uuid\n    priorityLabel\n    status\n    occurredAt\n    receivedAt\n    ruleIntent\n    ruleStrategy\n    ruleMethod\n    labelIds\n    sources {\n      hostname\n      address\n    }\n    destinations {\n      hostname\n      address\n    }\n    deployment {\n      name\n      displayName\n    }\n    events(first: 20) {\n      totalCount\n      edges {\n        node {\n          id\n          name\n          occurredAt\n          sourceName\n          sourceUsername\n        }\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query AlarmsByPriority($priority: [AlarmPriority!] = [HIGH], $first: Int = 20) {\n  alarms(first: $first, filter: {priority: $priority}) {\n    totalCount\n    edges {\n      node {\n        id\n        priorityLabel\n        status\n        occurredAt\n        ruleMethod\n        labelIds\n        deployment {\n          name\n        }\n      }\n    }\n  }\n}"): (typeof documents)["query AlarmsByPriority($priority: [AlarmPriority!] = [HIGH], $first: Int = 20) {\n  alarms(first: $first, filter: {priority: $priority}) {\n    totalCount\n    edges {\n      node {\n        id\n        priorityLabel\n        status\n        occurredAt\n        ruleMethod\n        labelIds\n        deployment {\n          name\n        }\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query AlarmsNextPage($first: Int = 10, $after: String) {\n  alarms(first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        id\n        priorityLabel\n        occurredAt\n      }\n    }\n    pageInfo {\n      hasNextPage\n      hasPreviousPage\n      startCursor\n      endCursor\n    }\n  }\n}"): (typeof documents)["query AlarmsNextPage($first: Int = 10, $after: String) {\n  alarms(first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        id\n        priorityLabel\n        occurredAt\n      }\n    }\n    pageInfo {\n      hasNextPage\n      hasPreviousPage\n      startCursor\n      endCursor\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query AlarmsPreviousPage($last: Int = 10, $before: String) {\n  alarms(last: $last, before: $before) {\n    edges {\n      cursor\n      node {\n        id\n        priorityLabel\n        occurredAt\n      }\n    }\n    pageInfo {\n      hasNextPage\n      hasPreviousPage\n      startCursor\n      endCursor\n    }\n  }\n}"): (typeof documents)["query AlarmsPreviousPage($last: Int = 10, $before: String) {\n  alarms(last: $last, before: $before) {\n    edges {\n      cursor\n      node {\n        id\n        priorityLabel\n        occurredAt\n      }\n    }\n    pageInfo {\n      hasNextPage\n      hasPreviousPage\n      startCursor\n      endCursor\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription LiveAlarmPage($deployment: String, $first: Int = 10) {\n  alarmPage(deployment: $deployment, first: $first) {\n    totalCount\n    edges {\n      node {\n        id\n        priorityLabel\n        status\n        occurredAt\n        deployment {\n          name\n        }\n      }\n    }\n  }\n}"): (typeof documents)["subscription LiveAlarmPage($deployment: String, $first: Int = 10) {\n  alarmPage(deployment: $deployment, first: $first) {\n    totalCount\n    edges {\n      node {\n        id\n        priorityLabel\n        status\n        occurredAt\n        deployment {\n          name\n        }\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RemoveAlarmLabel($alarmId: ID!, $labelId: String!) {\n  removeAlarmLabel(alarmId: $alarmId, labelId: $labelId) {\n    id\n    labelIds\n  }\n}"): (typeof documents)["mutation RemoveAlarmLabel($alarmId: ID!, $labelId: String!) {\n  removeAlarmLabel(alarmId: $alarmId, labelId: $labelId) {\n    id\n    labelIds\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RotateApiKey($id: ID!, $gracePeriod: String = \"P1D\") {\n  rotateApiKey(id: $id, gracePeriod: $gracePeriod) {\n    secret\n    warnings\n    key {\n      id\n      name\n      lastRotatedAt\n      previousSecretValidUntil\n    }\n  }\n}"): (typeof documents)["mutation RotateApiKey($id: ID!, $gracePeriod: String = \"P1D\") {\n  rotateApiKey(id: $id, gracePeriod: $gracePeriod) {\n    secret\n    warnings\n    key {\n      id\n      name\n      lastRotatedAt\n      previousSecretValidUntil\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Viewer {\n  viewer {\n    id\n    name\n    permissions\n    status\n    nextRotationAt\n  }\n}"): (typeof documents)["query Viewer {\n  viewer {\n    id\n    name\n    permissions\n    status\n    nextRotationAt\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;