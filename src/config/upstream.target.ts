/**
 * What the facade knows about one upstream API it holds credentials for, and the
 * rules every source of configuration (environment, `USM_CONFIG` file) applies to it.
 *
 * Contract: a `UpstreamTarget` that left `src/config/` has an absolute http(s) base URL
 * without a trailing slash and without credentials in it, a non-empty client ID and
 * secret, and a name unique among the targets of one configuration.
 */

/** One upstream API the facade holds client credentials for. */
export interface UpstreamTarget {
  api: 'anywhere' | 'central';
  /** Deployment name (`acme-east`), or `central` for USM Central. */
  name: string;
  /** Base URL including the version, e.g. `https://acme-east.alienvault.cloud/api/2.0`. */
  url: string;
  clientId: string;
  clientSecret: string;
}

/** Deployment names as USM spells subdomains. */
export const DEPLOYMENT_NAME = /^[a-z0-9][a-z0-9-]*$/;

/** Why `url` cannot be an upstream base URL, or undefined when it can. Never echoes the URL. */
export function baseUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute http(s) URL, e.g. https://acme-east.alienvault.cloud/api/2.0';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must start with http:// or https://';
  if (parsed.username !== '' || parsed.password !== '') {
    return 'must not carry credentials; give them as clientId and clientSecret';
  }
  if (parsed.search !== '' || parsed.hash !== '') return 'must not have a query or fragment';
  return undefined;
}

/**
 * The deployment name a USM URL stands for: the first label of an
 * `*.alienvault.cloud` host, else the path segment before `/api/` (the simulator's
 * layout), else the host name.
 */
export function deploymentNameOf(url: string): string {
  const parsed = new URL(url);
  if (parsed.hostname.endsWith('.alienvault.cloud')) return parsed.hostname.split('.')[0]!;
  const segments = parsed.pathname.split('/').filter(Boolean);
  const apiAt = segments.indexOf('api');
  if (apiAt > 0) return segments[apiAt - 1]!;
  return parsed.hostname;
}

/** The base URL as the clients join paths to it: no trailing slash. */
export function normaliseBaseUrl(url: string): string {
  return url.replace(/\/+$/, '');
}
