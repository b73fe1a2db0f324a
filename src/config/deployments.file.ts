/**
 * The `USM_CONFIG` file: USM Central (optional) and any number of USM Anywhere
 * deployments, each with its base URL and API client, as JSON or YAML.
 *
 * ```yaml
 * central:            # optional
 *   url: https://acme.alienvault.cloud/api/1.1
 *   clientId: central-client
 *   clientSecret: env:USM_CENTRAL_SECRET
 * deployments:
 *   - name: acme-east  # optional: the subdomain of `url` by default
 *     url: https://acme-east.alienvault.cloud/api/2.0
 *     clientId: east-client
 *     clientSecret: file:/run/secrets/acme-east
 * ```
 *
 * Contract: `readDeploymentsFile` returns the targets the file lists, or pushes one
 * message per problem to `problems` (each naming `USM_CONFIG`, the field's path and what
 * is allowed) and returns what it could read. A secret is written literally, as
 * `env:NAME` (an environment variable), as `file:/path` (the file's content without
 * its trailing newline; a relative path is taken from the config file's folder) or as
 * `literal:<secret>` for a secret that would otherwise look like a reference. No message
 * ever carries a secret or a line of the file: parse errors give line and column only.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import {
  baseUrlProblem,
  DEPLOYMENT_NAME,
  deploymentNameOf,
  normaliseBaseUrl,
  type UpstreamTarget,
} from './upstream.target.js';

export interface DeploymentsFile {
  central: UpstreamTarget | undefined;
  deployments: UpstreamTarget[];
}

const SOURCE = 'USM_CONFIG';

function requiredString(what: string) {
  return z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : `must be ${what}`) })
    .min(1, `must be ${what}, not empty`);
}

const url = requiredString('an absolute http(s) URL').superRefine((value, ctx) => {
  const problem = baseUrlProblem(value);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

const credentials = {
  url,
  clientId: requiredString('the API client ID'),
  clientSecret: requiredString('the API client secret, env:NAME or file:/path'),
};

const centralSchema = z.strictObject(credentials, {
  error: objectError('an object with url, clientId, clientSecret'),
});

const deploymentSchema = z.strictObject(
  {
    name: z
      .string({ error: 'must be a deployment name like acme-east' })
      .regex(DEPLOYMENT_NAME, 'must be a deployment name like acme-east (lower-case letters, digits, -)')
      .optional(),
    ...credentials,
  },
  { error: objectError('an object with name, url, clientId, clientSecret') },
);

// Entries are checked one by one (below) so that one bad entry does not hide the
// problems of the others.
const fileSchema = z.strictObject(
  {
    central: z.unknown().optional(),
    deployments: z.array(z.unknown(), { error: 'must be a list of deployments' }).optional(),
  },
  { error: objectError('an object with central and/or deployments') },
);

/** Wording for a value that is not an object and for fields the schema does not know. */
function objectError(expected: string) {
  return (issue: { code?: string; input?: unknown; keys?: string[] }) => {
    if (issue.code === 'unrecognized_keys') {
      return `unknown field ${(issue.keys ?? []).map((k) => `"${k}"`).join(', ')}; expected ${expected}`;
    }
    return issue.input === undefined ? 'is required' : `must be ${expected}`;
  };
}

function pathOf(path: readonly PropertyKey[], atTop: boolean): string {
  return path
    .map((segment, index) =>
      typeof segment === 'number' ? `[${segment}]` : `${index === 0 && atTop ? '' : '.'}${String(segment)}`,
    )
    .join('');
}

/** Reads and validates the file; every problem goes to `problems`. */
export function readDeploymentsFile(
  path: string,
  env: NodeJS.ProcessEnv,
  problems: string[],
): DeploymentsFile {
  const empty: DeploymentsFile = { central: undefined, deployments: [] };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    problems.push(`${SOURCE}: cannot read ${path} (${errnoOf(error)}); give the path of a JSON or YAML file`);
    return empty;
  }

  let document: unknown;
  try {
    // JSON is YAML 1.2, so one parser reads both formats.
    document = parseYaml(text);
  } catch (error) {
    const where =
      error instanceof YAMLParseError && error.linePos !== undefined
        ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}`
        : 'unknown position';
    const code = error instanceof YAMLParseError ? `: ${error.code}` : '';
    problems.push(`${SOURCE}: ${path} is not valid JSON or YAML (${where}${code})`);
    return empty;
  }

  const top = fileSchema.safeParse(document ?? {});
  if (!top.success) {
    reportIssues(top.error.issues, '', problems);
    return empty;
  }
  const folder = dirname(resolve(path));
  const secretOf = (entry: unknown, field: string): string => {
    const value = (entry as { clientSecret?: unknown } | null)?.clientSecret;
    // A missing or mistyped secret is reported by the schema; only strings are resolved.
    if (typeof value !== 'string' || value === '') return '';
    const result = resolveSecret(value, env, folder);
    if ('problem' in result) {
      problems.push(`${SOURCE} ${field}: ${result.problem}`);
      return '';
    }
    return result.secret;
  };

  const result: DeploymentsFile = { central: undefined, deployments: [] };
  const rawCentral = top.data.central;
  const rawDeployments = top.data.deployments ?? [];
  if (rawCentral === undefined && rawDeployments.length === 0) {
    problems.push(`${SOURCE}: ${path} lists no upstream; add "deployments" (a list) and/or "central"`);
  }

  if (rawCentral !== undefined) {
    const secret = secretOf(rawCentral, 'central.clientSecret');
    const central = centralSchema.safeParse(rawCentral);
    if (!central.success) reportIssues(central.error.issues, 'central', problems);
    else {
      result.central = {
        api: 'central',
        name: 'central',
        url: normaliseBaseUrl(central.data.url),
        clientId: central.data.clientId,
        clientSecret: secret,
      };
    }
  }

  const firstIndexOf = new Map<string, number>();
  rawDeployments.forEach((rawDeployment, index) => {
    const at = `deployments[${index}]`;
    const secret = secretOf(rawDeployment, `${at}.clientSecret`);
    const parsed = deploymentSchema.safeParse(rawDeployment);
    if (!parsed.success) {
      reportIssues(parsed.error.issues, at, problems);
      return;
    }
    const deployment = parsed.data;
    const name = deployment.name ?? deploymentNameOf(deployment.url);
    const earlier = firstIndexOf.get(name);
    if (earlier !== undefined) {
      problems.push(
        `${SOURCE} ${at}.name: "${name}" is already used by deployments[${earlier}]; each deployment needs its own name`,
      );
      return;
    }
    if (name === 'central') {
      problems.push(`${SOURCE} ${at}.name: "central" is reserved for USM Central; choose another name`);
      return;
    }
    firstIndexOf.set(name, index);
    result.deployments.push({
      api: 'anywhere',
      name,
      url: normaliseBaseUrl(deployment.url),
      clientId: deployment.clientId,
      clientSecret: secret,
    });
  });
  return result;
}

function reportIssues(issues: readonly z.core.$ZodIssue[], prefix: string, problems: string[]): void {
  for (const issue of issues) {
    const field = `${prefix}${pathOf(issue.path, prefix === '')}`;
    problems.push(`${SOURCE} ${field === '' ? '(top level)' : field}: ${issue.message}`);
  }
}

type SecretResult = { secret: string } | { problem: string };

const REFERENCE = /^[a-z][a-z0-9+.-]*:/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Resolves `env:`, `file:` and `literal:` references; anything else is the secret itself. */
function resolveSecret(value: string, env: NodeJS.ProcessEnv, folder: string): SecretResult {
  if (value.startsWith('env:')) {
    const name = value.slice('env:'.length);
    if (!ENV_NAME.test(name)) return { problem: 'env: must be followed by an environment variable name, e.g. env:ACME_SECRET' };
    const secret = env[name];
    if (secret === undefined || secret === '') {
      return { problem: `refers to environment variable ${name}, which is not set` };
    }
    return { secret };
  }
  if (value.startsWith('file:')) {
    const path = resolve(folder, value.slice('file:'.length));
    let secret: string;
    try {
      secret = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      return { problem: `cannot read secret file ${path} (${errnoOf(error)})` };
    }
    return secret === '' ? { problem: `secret file ${path} is empty` } : { secret };
  }
  if (value.startsWith('literal:')) {
    const secret = value.slice('literal:'.length);
    return secret === '' ? { problem: 'literal: must be followed by the secret' } : { secret };
  }
  if (REFERENCE.test(value)) {
    // The prefix is not echoed: it might be the start of a literal secret.
    return {
      problem:
        'is an unknown secret reference; use env:NAME, file:/path, or write literal:<secret> when the secret itself starts with a word and a colon',
    };
  }
  return { secret: value };
}

function errnoOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : 'unreadable';
}
