/**
 * Which upstreams the facade serves: a `USM_CONFIG` file (see `deployments.file.ts`)
 * and/or one Anywhere deployment and Central by variables, or, with none, the embedded
 * simulator. In `config/` rather than `upstream/`: the targets are this room's own
 * product (`upstream.target.ts`, the file reader), which the upstream clients receive.
 *
 * Contract: `upstreamsOf` combines the variables with what the file listed, pushing one
 * message per problem (each naming the variables and what is allowed, never a secret):
 * an API's three variables are all set or none, no name is used twice, and Central is
 * configured in one place only.
 */
import { z } from 'zod';
import type { DeploymentsFile } from './deployments.file.js';
import { port, setting, text, type ValuesOf } from './setting.js';
import { baseUrlProblem, DEPLOYMENT_NAME, deploymentNameOf, normaliseBaseUrl, type UpstreamTarget } from './upstream.target.js';

const httpUrl = () =>
  z.string().superRefine((url, ctx) => {
    const problem = baseUrlProblem(url);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });

export const UPSTREAMS_SETTINGS = {
  file: setting({
    env: 'USM_CONFIG',
    schema: text('must be the path of a JSON or YAML file'),
    doc: 'A JSON or YAML file listing USM Central (optional) and any number of Anywhere deployments, secrets as env:NAME or file:/path.',
  }),
  anywhereUrl: setting({
    env: 'USM_ANYWHERE_URL',
    schema: httpUrl(),
    doc: 'One Anywhere deployment, e.g. https://acme.alienvault.cloud/api/2.0.',
  }),
  anywhereName: setting({
    env: 'USM_ANYWHERE_NAME',
    schema: z.string().regex(DEPLOYMENT_NAME, 'must be a deployment name like acme-east'),
    doc: "Its short name; unset: the URL's subdomain.",
  }),
  anywhereClientId: setting({
    env: 'USM_ANYWHERE_CLIENT_ID',
    schema: text('must be the API client ID'),
    doc: 'Its API client.',
  }),
  anywhereClientSecret: setting({
    env: 'USM_ANYWHERE_CLIENT_SECRET',
    schema: text('must be the API client secret'),
    doc: "Its API client's secret.",
  }),
  centralUrl: setting({
    env: 'USM_CENTRAL_URL',
    schema: httpUrl(),
    doc: 'USM Central, e.g. https://acme.alienvault.cloud/api/1.1.',
  }),
  centralClientId: setting({
    env: 'USM_CENTRAL_CLIENT_ID',
    schema: text('must be the API client ID'),
    doc: "Central's API client.",
  }),
  centralClientSecret: setting({
    env: 'USM_CENTRAL_CLIENT_SECRET',
    schema: text('must be the API client secret'),
    doc: "Central's API client's secret.",
  }),
  simulatorPort: setting({
    env: 'SIMULATOR_PORT',
    default: '0',
    schema: port('0 picks a free one'),
    doc: 'Port of the embedded simulator, when no upstream is configured.',
  }),
};

export type UpstreamsValues = ValuesOf<typeof UPSTREAMS_SETTINGS>;

export type UpstreamConfig =
  | {
      mode: 'embedded';
      /** `SIMULATOR_PORT`: port of the in-process simulator. */
      simulatorPort: number;
    }
  | {
      mode: 'configured';
      central: UpstreamTarget | undefined;
      deployments: UpstreamTarget[];
    };

/** The settings of each API's one target, by `UpstreamTarget` field. */
const TARGET_FIELDS = {
  anywhere: { url: 'anywhereUrl', clientId: 'anywhereClientId', clientSecret: 'anywhereClientSecret' },
  central: { url: 'centralUrl', clientId: 'centralClientId', clientSecret: 'centralClientSecret' },
} as const;

/** One API's three variables; all three or none. */
function targetOf(values: UpstreamsValues, api: 'anywhere' | 'central', problems: string[]): UpstreamTarget | undefined {
  const fields = TARGET_FIELDS[api];
  const url = values[fields.url];
  const clientId = values[fields.clientId];
  const clientSecret = values[fields.clientSecret];
  if (url === undefined && clientId === undefined && clientSecret === undefined) return undefined;
  if (url === undefined || clientId === undefined || clientSecret === undefined) {
    const missing = Object.values(fields).filter((field) => values[field] === undefined).map((field) => UPSTREAMS_SETTINGS[field].env);
    problems.push(`${missing.join(', ')}: required when any ${api === 'anywhere' ? 'USM_ANYWHERE' : 'USM_CENTRAL'}_* variable is set (set all three, or none)`);
    return undefined;
  }
  const name = api === 'central' ? 'central' : (values.anywhereName ?? deploymentNameOf(url));
  return { api, name, url: normaliseBaseUrl(url), clientId, clientSecret };
}

/** The upstreams the variables and the `USM_CONFIG` file (when given, already read) configure together. */
export function upstreamsOf(values: UpstreamsValues, file: DeploymentsFile | undefined, problems: string[]): UpstreamConfig {
  const anywhere = targetOf(values, 'anywhere', problems);
  const envCentral = targetOf(values, 'central', problems);
  if (envCentral !== undefined && file?.central !== undefined) {
    problems.push('USM_CENTRAL_*: Central is also configured in USM_CONFIG; configure it in one place only');
  }
  const central = envCentral ?? file?.central;
  const deployments = [...(file?.deployments ?? []), ...(anywhere === undefined ? [] : [anywhere])];
  if (anywhere !== undefined && file?.deployments.some((d) => d.name === anywhere.name)) {
    problems.push(
      `USM_ANYWHERE_*: deployment name "${anywhere.name}" is also listed in USM_CONFIG; set USM_ANYWHERE_NAME to another name or drop one of them`,
    );
  }
  return deployments.length === 0 && central === undefined
    ? { mode: 'embedded', simulatorPort: values.simulatorPort }
    : { mode: 'configured', central, deployments };
}
