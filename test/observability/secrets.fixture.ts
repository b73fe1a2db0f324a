/**
 * What must never show in a log line, an error body or a span: the facade's API key
 * secrets, the simulator's client secrets, OAuth access tokens. `findSecrets` names each
 * one it finds in a text, so a failing test says which leaked and where.
 */
import type { TestFacade } from '../support/facade.fixture.js';

/** The simulator's access tokens are JWTs (header.claims.signature, base64url), as USM's are. */
export const ACCESS_TOKEN = /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{16,}/;
/** An `Authorization: Bearer …` value or a facade key, whatever follows. */
const BEARER = /Bearer\s+\S{8,}/i;
const FACADE_KEY = /usmf_[\w-]{8,}/;

export interface SecretCheck {
  /** Literal secrets, by a name that says what each is. */
  literals: Map<string, string>;
}

/** The admin key and every client secret the facade's simulator starts with. */
export function knownSecrets(facade: TestFacade): SecretCheck {
  const literals = new Map<string, string>([['admin key', facade.adminKey]]);
  for (const target of [...(facade.simulator?.deployments ?? []), ...(facade.simulator === undefined ? [] : [facade.simulator.central])]) {
    literals.set(`client secret of ${target.clientId}`, target.clientSecret);
  }
  return { literals };
}

/** Where in `text` any of the secrets, a token, a bearer credential or a facade key appears. */
export function findSecrets(text: string, check: SecretCheck): string[] {
  const found: string[] = [];
  for (const [name, secret] of check.literals) if (text.includes(secret)) found.push(name);
  for (const [name, pattern] of [
    ['an access token', ACCESS_TOKEN],
    ['a bearer credential', BEARER],
    ['a facade API key', FACADE_KEY],
  ] as const) {
    const match = pattern.exec(text);
    if (match !== null) found.push(`${name} (…${text.slice(Math.max(0, match.index - 60), match.index + 20)}…)`);
  }
  return found;
}

/** A fresh access token from the simulator, the way an upstream client gets one (to know the format is the one looked for). */
export async function sampleAccessToken(facade: TestFacade, deployment: string): Promise<string> {
  const target = facade.simulator!.deployments.find((d) => d.name === deployment)!;
  const basic = Buffer.from(`${target.clientId}:${target.clientSecret}`).toString('base64');
  const granted = await fetch(`${target.url}/oauth/token?grant_type=client_credentials`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}` },
  });
  return ((await granted.json()) as { access_token: string }).access_token;
}
