/**
 * What USM Central 1.1 answers, as zod schemas, normalised to the types Anywhere uses.
 *
 * Contract: `/deployments` is a plain array of deployments (no HAL); an alarm is
 * Central's wrapper `{ id, timestamp, "@timestamp", alarm: {...Anywhere alarm...},
 * events, tenantId: "cn://<sub>.alienvault.cloud", ... }` and becomes the same
 * `AlarmDocument` as Anywhere's, with its deployment taken from `tenantId` (or, if that
 * is missing, from the alarm's own link) and its events from the wrapper's `events`
 * (or the inner alarm's), `raw` holding the whole wrapper. Event pages are Anywhere's;
 * each event's deployment comes from its `_links.self.href`. The same tolerance as
 * `anywhere.schemas.ts` applies; unknown fields pass through. An alarm whose
 * deployment cannot be told is `UPSTREAM_INVALID_RESPONSE` with the path of its
 * `tenantId`.
 */
import { z } from 'zod';
import { deploymentNameOf } from '../../config/config.js';
import { FacadeError } from '../../errors/facade.error.js';
import { parseBody, type ParseContext } from '../http/response.parser.js';
import {
  alarmEventItemSchema,
  alarmSchema,
  eventPageSchema,
  halPageSchema,
  isRecord,
  normaliseAlarm,
  normaliseEvent,
  pageItems,
  pageLinks,
  rawItems,
  rawList,
  timestamp,
  type AlarmDocument,
  type EventDocument,
  type Page,
  type ParsedEvent,
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

const centralAlarmSchema = z.object({
  id: optionalText,
  timestamp: timestamp.nullish(),
  '@timestamp': timestamp.nullish(),
  alarm: alarmSchema,
  events: z.array(alarmEventItemSchema).nullish(),
  tenantId: optionalText,
});

const centralAlarmPageSchema = halPageSchema(centralAlarmSchema, ['alarms']);
export 
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

/** `undefined` when neither `tenantId` nor the alarm's link names a deployment. */
function normaliseCentralAlarm(wrapper: z.output<typeof centralAlarmSchema>, raw: unknown): AlarmDocument | undefined {
  const rawWrapper = isRecord(raw) ? raw : {};
  const deployment =
    (wrapper.tenantId != null && wrapper.tenantId !== '' ? subdomainOf(wrapper.tenantId) : undefined) ??
    deploymentOfLink(rawWrapper.alarm);
  if (deployment === undefined) return undefined;
  const lifted = wrapper.events != null;
  const innerRaw = isRecord(rawWrapper.alarm) ? rawWrapper.alarm : {};
  return normaliseAlarm(wrapper.alarm, rawWrapper, deployment, {
    parsed: lifted ? wrapper.events! : (wrapper.alarm.events ?? []),
    raw: lifted ? rawList(rawWrapper.events) : rawList(innerRaw.events),
  });
}

// ---- bodies to documents -------------------------------------------------------------

export function readCentralDeployments(body: unknown, context: ParseContext): CentralDeployment[] {
  const parsed = parseBody(centralDeploymentsSchema, body, context);
  return parsed.map((deployment, index) => normaliseDeployment(deployment, rawList(body)[index]));
}

export function readCentralAlarm(body: unknown, context: ParseContext): AlarmDocument {
  return alarmOrFail(normaliseCentralAlarm(parseBody(centralAlarmSchema, body, context), body), 'tenantId', context);
}

export function readCentralAlarmPage(body: unknown, context: ParseContext): Page<AlarmDocument> {
  const parsed = parseBody(centralAlarmPageSchema, body, context);
  const raw = rawItems(body, ['alarms']);
  const wrappers = pageItems<z.output<typeof centralAlarmSchema>>(parsed._embedded, ['alarms']);
  return {
    items: wrappers.map((wrapper, i) =>
      alarmOrFail(normaliseCentralAlarm(wrapper, raw[i]), `_embedded.alarms[${i}].tenantId`, context),
    ),
    page: parsed.page,
    links: pageLinks(parsed._links),
  };
}

/** Central's event pages span deployments: each event's deployment comes from its own link. */
export function readCentralEventPage(body: unknown, context: ParseContext): Page<EventDocument> {
  const keys = ['eventResources', 'events'];
  const parsed = parseBody(eventPageSchema, body, context);
  const raw = rawItems(body, keys);
  return {
    items: pageItems<ParsedEvent>(parsed._embedded, keys).map((event, i) =>
      normaliseEvent(event, raw[i], deploymentOfLink(raw[i]) ?? context.deployment),
    ),
    page: parsed.page,
    links: pageLinks(parsed._links),
  };
}

function alarmOrFail(alarm: AlarmDocument | undefined, path: string, context: ParseContext): AlarmDocument {
  if (alarm !== undefined) return alarm;
  throw new FacadeError(
    'UPSTREAM_INVALID_RESPONSE',
    `${context.deployment}: an alarm in the answer to ${context.what} names no deployment (no tenantId and no link) at ${path}`,
    { deployment: context.deployment, details: { path } },
  );
}
