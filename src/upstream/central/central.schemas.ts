/**
 * What USM Central 1.1 answers, normalised to the types Anywhere uses: deployments
 * through a zod schema, alarms with the readers of `anywhere.schemas.ts`.
 *
 * Contract: `/deployments` is a plain array of deployments (no HAL); an alarm is
 * Central's wrapper `{ id, timestamp, "@timestamp", alarm: {...Anywhere alarm...},
 * events, tenantId: "cn://<sub>.alienvault.cloud", ... }` and becomes the same
 * `AlarmDocument` as Anywhere's, with its deployment taken from `tenantId` (or, if that
 * is missing, from the alarm's own link) and its events from the wrapper's `events`
 * (or the inner alarm's), `raw` holding the whole wrapper. Event pages are Anywhere's;
 * each event's deployment comes from its `_links.self.href`. The same tolerance as
 * `anywhere.schemas.ts` applies; unknown fields pass through, and the wrapper's own
 * `id` and timestamps, which no document needs, are not checked. An alarm whose
 * deployment cannot be told is `UPSTREAM_INVALID_RESPONSE` with the path of its
 * `tenantId`.
 */
import { z } from 'zod';
import { deploymentNameOf } from '../../config/upstream.target.js';
import { FacadeError } from '../../errors/facade.error.js';
import { parseBody, type ParseContext } from '../http/response.parser.js';
import {
  alarmPages,
  bodyObject,
  eventPages,
  isRecord,
  objectField,
  pathOf,
  readAlarmEvents,
  readAlarmFields,
  readEventFields,
  textField,
  timestamp,
  type AlarmDocument,
  type BodyObject,
  type EventDocument,
  type Page,
} from '../anywhere/anywhere.schemas.js';

/** One deployment Central manages. */
export interface CentralDeployment {
  /** `cn://<sub>.alienvault.cloud` */
  id: string;
  /** The subdomain, e.g. `acme-east`: the name the facade uses for the deployment. */
  name: string;
  fqdn?: string;
  displayName?: string;
  /** e.g. `USM Anywhere` */
  type?: string;
  /** Epoch ms. */
  joinedSince?: number;
  connectionStatus?: string;
  authorized?: boolean;
  licenseKey?: string;
  raw: Record<string, unknown>;
}

const optionalText = z.string().nullish();

const centralDeploymentSchema = z.object({
  id: z.string().min(1),
  name: optionalText,
  fqdn: optionalText,
  displayName: optionalText,
  type: optionalText,
  joinedSince: timestamp.nullish(),
  connectionStatus: optionalText,
  authorized: z.boolean().nullish(),
  licenseKey: optionalText,
});

const centralDeploymentsSchema = z.array(centralDeploymentSchema);

/** `cn://acme-lab.alienvault.cloud` → `acme-lab`. */
function subdomainOf(id: string): string {
  const host = id.replace(/^[a-z]+:\/\//i, '').split('/')[0]!;
  return host.split('.')[0]!;
}

function normaliseDeployment(deployment: z.output<typeof centralDeploymentSchema>, raw: unknown): CentralDeployment {
  const result: CentralDeployment = {
    id: deployment.id,
    name: deployment.name ?? subdomainOf(deployment.fqdn ?? deployment.id),
    raw: isRecord(raw) ? raw : {},
  };
  if (deployment.fqdn != null) result.fqdn = deployment.fqdn;
  if (deployment.displayName != null) result.displayName = deployment.displayName;
  if (deployment.type != null) result.type = deployment.type;
  if (deployment.joinedSince != null) result.joinedSince = deployment.joinedSince;
  if (deployment.connectionStatus != null) result.connectionStatus = deployment.connectionStatus;
  if (deployment.authorized != null) result.authorized = deployment.authorized;
  if (deployment.licenseKey != null) result.licenseKey = deployment.licenseKey;
  return result;
}

/** The deployment a link such as `https://acme-east.alienvault.cloud/api/2.0/...` points into. */
function deploymentOfLink(raw: unknown): string | undefined {
  const href = isRecord(raw) && isRecord(raw._links) && isRecord(raw._links.self) ? raw._links.self.href : undefined;
  if (typeof href !== 'string') return undefined;
  try {
    return deploymentNameOf(href);
  } catch {
    return undefined;
  }
}

/**
 * One wrapper `{ alarm, events, tenantId, ... }`. Only what the document needs is read:
 * the wrapper's own `id` and timestamps are kept in `raw` unread.
 */
function readCentralAlarmWrapper(wrapper: BodyObject): AlarmDocument {
  const alarm = objectField(wrapper, 'alarm');
  const tenantId = textField(wrapper, 'tenantId');
  const deployment = (tenantId !== undefined && tenantId !== '' ? subdomainOf(tenantId) : undefined) ?? deploymentOfLink(alarm.value);
  if (deployment === undefined) {
    const path = pathOf(wrapper.at, 'tenantId');
    throw new FacadeError(
      'UPSTREAM_INVALID_RESPONSE',
      `${wrapper.context.deployment}: an alarm in the answer to ${wrapper.context.what} names no deployment (no tenantId and no link) at ${path}`,
      { deployment: wrapper.context.deployment, details: { path } },
    );
  }
  // Central lifts the events out of the alarm into the wrapper; when it does not, they are the alarm's own.
  const events = wrapper.value.events != null ? readAlarmEvents(wrapper, 'events', deployment) : readAlarmEvents(alarm, 'events', deployment);
  return readAlarmFields(alarm, deployment, wrapper.value, events);
}

// ---- bodies to documents -------------------------------------------------------------

export function readCentralDeployments(body: unknown, context: ParseContext): CentralDeployment[] {
  const parsed = parseBody(centralDeploymentsSchema, body, context);
  // parseBody has checked that the body is an array.
  return parsed.map((deployment, index) => normaliseDeployment(deployment, (body as unknown[])[index]));
}

export function readCentralAlarm(body: unknown, context: ParseContext): AlarmDocument {
  return readCentralAlarmWrapper(bodyObject(body, context));
}

export function readCentralAlarmPage(body: unknown, context: ParseContext): Page<AlarmDocument> {
  return alarmPages(body, context, readCentralAlarmWrapper);
}

/** Central's event pages span deployments: each event's deployment comes from its own link. */
export function readCentralEventPage(body: unknown, context: ParseContext): Page<EventDocument> {
  return eventPages(body, context, (item) => readEventFields(item, deploymentOfLink(item.value) ?? context.deployment));
}
