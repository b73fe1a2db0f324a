/**
 * API clients and the OAuth tokens granted to them, per deployment (and `central`).
 *
 * Contract: a token opens only the deployment it was issued for, until exactly
 * `expires_in` seconds after its grant on the injected clock; it stops working at
 * once when revoked, or when its client is disabled or deleted. A client's secret is
 * kept only to check it: nothing here returns it after creation. Tokens look like the
 * vendor's (a JWT-shaped string) but carry no meaning; they are random, so two
 * simulators with one seed never accept each other's tokens.
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { HttpProblem } from './json.reply.js';

export interface ClientRecord {
  target: string;
  clientId: string;
  secret: string;
  disabled: boolean;
}

interface TokenRecord {
  target: string;
  clientId: string;
  expiresAt: number;
  revoked: boolean;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  scope: 'trust read write';
  jti: string;
}

export type TokenCheck =
  | { ok: true; clientId: string }
  /** `clientId` is known when the token was issued here, for statistics. */
  | { ok: false; clientId: string | undefined };

/** Expired tokens are forgotten this long after expiry, so long runs do not grow without bound. */
const FORGET_AFTER_MS = 3_600_000;
const SWEEP_EVERY_GRANTS = 1_000;

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export class ClientRegistry {
  private readonly clients = new Map<string, ClientRecord>();
  private readonly tokens = new Map<string, TokenRecord>();
  private grantsSinceSweep = 0;

  constructor(
    private readonly now: () => number,
    private readonly lifetimeSeconds: number,
  ) {}

  private static key(target: string, clientId: string): string {
    return `${target}\u0000${clientId}`;
  }

  /** Throws 409 when the client id is taken in that deployment. */
  add(target: string, clientId?: string, secret?: string): ClientRecord {
    const id = clientId ?? randomUUID();
    const key = ClientRegistry.key(target, id);
    if (this.clients.has(key)) throw new HttpProblem(409, `client '${id}' already exists in '${target}'`);
    const generated = secret ?? randomBytes(24).toString('base64url');
    const record: ClientRecord = { target, clientId: id, secret: generated, disabled: false };
    this.clients.set(key, record);
    return record;
  }

  find(target: string, clientId: string): ClientRecord | undefined {
    return this.clients.get(ClientRegistry.key(target, clientId));
  }

  disable(target: string, clientId: string): boolean {
    const client = this.find(target, clientId);
    if (client === undefined) return false;
    client.disabled = true;
    return true;
  }

  /** Deletes the client and revokes its tokens. */
  remove(target: string, clientId: string): boolean {
    if (!this.clients.delete(ClientRegistry.key(target, clientId))) return false;
    this.revoke(target, clientId);
    return true;
  }

  list(): Array<{ deployment: string; clientId: string; disabled: boolean }> {
    return [...this.clients.values()].map((c) => ({ deployment: c.target, clientId: c.clientId, disabled: c.disabled }));
  }

  /** The enabled client with this id and secret, else undefined. */
  authenticate(target: string, clientId: string, secret: string): ClientRecord | undefined {
    const client = this.find(target, clientId);
    if (client === undefined || client.disabled || !sameSecret(secret, client.secret)) return undefined;
    return client;
  }

  issue(client: ClientRecord): TokenResponse {
    const now = this.now();
    const jti = randomUUID();
    const expiresAt = now + this.lifetimeSeconds * 1000;
    const accessToken = [
      base64url({ alg: 'HS256', typ: 'JWT' }),
      base64url({
        aud: [client.target],
        client_id: client.clientId,
        scope: ['trust', 'read', 'write'],
        exp: Math.floor(expiresAt / 1000),
        jti,
      }),
      randomBytes(32).toString('base64url'),
    ].join('.');
    this.tokens.set(accessToken, { target: client.target, clientId: client.clientId, expiresAt, revoked: false });
    if (++this.grantsSinceSweep >= SWEEP_EVERY_GRANTS) this.sweep(now);
    return { access_token: accessToken, token_type: 'bearer', expires_in: this.lifetimeSeconds, scope: 'trust read write', jti };
  }

  check(target: string, accessToken: string): TokenCheck {
    const token = this.tokens.get(accessToken);
    if (token === undefined || token.target !== target) return { ok: false, clientId: undefined };
    const client = this.find(target, token.clientId);
    const ok = !token.revoked && this.now() < token.expiresAt && client !== undefined && !client.disabled;
    return { ok, clientId: token.clientId };
  }

  /** Revokes live tokens matching the filter (both optional); returns how many. */
  revoke(target?: string, clientId?: string): number {
    const now = this.now();
    let revoked = 0;
    for (const token of this.tokens.values()) {
      if (token.revoked || now >= token.expiresAt) continue;
      if (target !== undefined && token.target !== target) continue;
      if (clientId !== undefined && token.clientId !== clientId) continue;
      token.revoked = true;
      revoked++;
    }
    return revoked;
  }

  private sweep(now: number): void {
    this.grantsSinceSweep = 0;
    for (const [value, token] of this.tokens) {
      if (token.expiresAt + FORGET_AFTER_MS < now) this.tokens.delete(value);
    }
  }
}
