/**
 * The audit trail: who did what, to which API key or to which deployment's upstream
 * credential, when, and how it ended.
 *
 * Contract: `record` stores an event in the keyv store and writes it to the logger at
 * `info`, in that order; details hold facts (grace periods, permissions, client IDs,
 * times), never a secret or a hash. An event is about one subject: an API key
 * (`keyId`, `keyName`) or the upstream credential of a deployment or `central`
 * (`deployment`, recorded by the credential rotator through the port it is given).
 * `outcome` defaults to `OK` (every key change recorded happened); credential steps
 * also end `FAILED`, `NOT_ATTEMPTED` or `REFUSED`, with the `errorCode` the caller got.
 * Events stored before subjects and outcomes existed read as API-key events that ended
 * `OK`. Events keep their order in an index document, updated under the `audit:index`
 * lock; beyond `maxEvents` the oldest are dropped. `list({ first, after })` pages newest
 * first with opaque cursors (`after` = the `endCursor` of the previous page); a cursor
 * that is not one of this log's, or whose event has been dropped, is `BAD_USER_INPUT`
 * saying to start again without `after`.
 */
import type Keyv from 'keyv';
import { FacadeError, type ErrorCode } from '../errors/facade.error.js';
import type { Logger } from '../log/logger.js';
import type { Connection } from '../pagination/connection.types.js';
import { readIndex, writeDocument } from '../store/keyv.documents.js';
import { systemClock, type Clock } from '../time/clock.js';
import { randomBase62, type RandomBytes } from './api-key.format.js';
import type { LockRunner } from './lock.port.js';

export type AuditAction =
  | 'CREATE'
  | 'ROTATE'
  | 'RESET'
  | 'REVOKE'
  | 'DELETE'
  | 'SET_ROTATION'
  | 'SET_BUDGET'
  | 'CREDENTIAL_VERIFY'
  | 'CREDENTIAL_SWAP'
  | 'CREDENTIAL_ROTATION_FAILED'
  | 'CREDENTIAL_ROTATION_NOT_ATTEMPTED'
  | 'CREDENTIAL_ROTATION_REFUSED';

/** How the audited action ended. */
export type AuditOutcome = 'OK' | 'FAILED' | 'NOT_ATTEMPTED' | 'REFUSED';

/** What an event is about: one of the facade's API keys, or the upstream credential of a deployment (or `central`). */
export type AuditSubject =
  | { subject: 'API_KEY'; keyId: string; keyName: string; deployment?: never }
  | { subject: 'UPSTREAM_CREDENTIAL'; deployment: string; keyId?: never; keyName?: never };

/** Who made a change: a caller's key, the rotation scheduler, or the facade at start-up (the default key). */
export type AuditActor = { kind: 'KEY'; keyId: string; keyName: string } | { kind: 'SCHEDULER' } | { kind: 'SYSTEM' };

export type AuditDetails = Record<string, string | number | boolean | null | string[]>;

interface AuditFacts {
  id: string;
  at: Date;
  actor: AuditActor;
  action: AuditAction;
  outcome: AuditOutcome;
  /** For `FAILED` and `REFUSED`: the code the caller got. */
  errorCode: ErrorCode | null;
  details: AuditDetails;
}

export type AuditEvent = AuditFacts & AuditSubject;

/** `outcome` defaults to `OK`, `errorCode` to none. */
export type NewAuditEvent = Omit<AuditFacts, 'id' | 'at' | 'outcome' | 'errorCode'> & { outcome?: AuditOutcome; errorCode?: ErrorCode } & AuditSubject;

export interface AuditLogOptions {
  store: Keyv;
  logger: Logger;
  /** Serialises index updates across callers and replicas. */
  locks: LockRunner;
  /** Default `systemClock`. */
  clock?: Clock;
  /** Default `crypto.randomBytes`; event ids come from it. */
  random?: RandomBytes;
  /** Prefix of every keyv key the log writes. Default `audit:`. */
  prefix?: string;
  /** Events kept; the oldest are dropped beyond. Default 10 000. */
  maxEvents?: number;
}

export interface AuditPageArgs {
  /** Page size, 1 to 100. Default 20. */
  first?: number;
  /** The `endCursor` of the previous page. */
  after?: string;
}

/** As kept: events from before subjects and outcomes lack those fields (see `toEvent`). */
type StoredEvent = Omit<AuditFacts, 'at' | 'outcome' | 'errorCode'> & {
  at: number;
  outcome?: AuditOutcome;
  errorCode?: ErrorCode | null;
} & (AuditSubject | { subject?: undefined; keyId: string; keyName: string });

const CURSOR_VERSION = 1;
export const MAX_AUDIT_PAGE = 100;
const DEFAULT_AUDIT_PAGE = 20;

export function encodeAuditCursor(eventId: string): string {
  return Buffer.from(JSON.stringify([CURSOR_VERSION, 'audit', eventId]), 'utf8').toString('base64url');
}

function decodeAuditCursor(cursor: string): string {
  let decoded: unknown;
  try {
    decoded = /^[A-Za-z0-9_-]{1,200}$/.test(cursor) ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) : undefined;
  } catch {
    decoded = undefined;
  }
  if (
    !Array.isArray(decoded) ||
    decoded.length !== 3 ||
    decoded[0] !== CURSOR_VERSION ||
    decoded[1] !== 'audit' ||
    typeof decoded[2] !== 'string'
  ) {
    throw new FacadeError(
      'BAD_USER_INPUT',
      '`after` is not a cursor of the audit log; use an endCursor from auditEvents, or omit after to start from the newest event.',
      { details: { argument: 'after' } },
    );
  }
  return decoded[2];
}

export class AuditLog {
  private readonly store: Keyv;
  private readonly logger: Logger;
  private readonly locks: LockRunner;
  private readonly clock: Clock;
  private readonly random: RandomBytes | undefined;
  private readonly prefix: string;
  private readonly maxEvents: number;

  constructor(options: AuditLogOptions) {
    this.store = options.store;
    this.logger = options.logger;
    this.locks = options.locks;
    this.clock = options.clock ?? systemClock;
    this.random = options.random;
    this.prefix = options.prefix ?? 'audit:';
    this.maxEvents = options.maxEvents ?? 10_000;
  }

  async record(event: NewAuditEvent): Promise<AuditEvent> {
    const stored: StoredEvent = { ...event, id: randomBase62(16, this.random), at: this.clock.now(), outcome: event.outcome ?? 'OK' };
    await this.locks.run(`${this.prefix}index`, async () => {
      await writeDocument(this.store, this.eventKey(stored.id), stored);
      const ids = [...(await this.ids()), stored.id];
      const dropped = ids.length > this.maxEvents ? ids.splice(0, ids.length - this.maxEvents) : [];
      await writeDocument(this.store, this.indexKey(), ids);
      if (dropped.length > 0) await this.store.delete(dropped.map((id) => this.eventKey(id)));
    });
    const recorded = toEvent(stored);
    const about =
      recorded.subject === 'API_KEY'
        ? `api key ${recorded.action.toLowerCase()}: ${recorded.keyName}`
        : `upstream credential ${recorded.action.toLowerCase()} ${recorded.outcome.toLowerCase()}: ${recorded.deployment}`;
    this.logger.info({ audit: { ...recorded, at: recorded.at.toISOString() } }, about);
    return recorded;
  }

  /** How many events the log holds. */
  async count(): Promise<number> {
    return (await this.ids()).length;
  }

  /** A page of events, newest first. */
  async list(args: AuditPageArgs = {}): Promise<Connection<AuditEvent>> {
    const first = args.first ?? DEFAULT_AUDIT_PAGE;
    if (!Number.isInteger(first) || first < 1 || first > MAX_AUDIT_PAGE) {
      throw new FacadeError('BAD_USER_INPUT', `\`first\` must be a whole number from 1 to ${MAX_AUDIT_PAGE}; got ${first}.`, {
        details: { argument: 'first' },
      });
    }
    const newestFirst = (await this.ids()).reverse();
    let start = 0;
    if (args.after !== undefined) {
      const afterId = decodeAuditCursor(args.after);
      const at = newestFirst.indexOf(afterId);
      if (at < 0) {
        throw new FacadeError(
          'BAD_USER_INPUT',
          '`after` points at an audit event that is no longer kept; omit after to start from the newest event.',
          { details: { argument: 'after' } },
        );
      }
      start = at + 1;
    }
    const pageIds = newestFirst.slice(start, start + first);
    const stored = await Promise.all(pageIds.map((id) => this.store.get<StoredEvent>(this.eventKey(id))));
    const edges = stored
      .filter((event): event is StoredEvent => event !== undefined)
      .map((event) => ({ cursor: encodeAuditCursor(event.id), node: toEvent(event) }));
    return {
      edges,
      pageInfo: {
        hasNextPage: start + first < newestFirst.length,
        hasPreviousPage: start > 0,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
    };
  }

  private ids(): Promise<string[]> {
    return readIndex(this.store, this.indexKey());
  }

  private indexKey(): string {
    return `${this.prefix}index`;
  }

  private eventKey(id: string): string {
    return `${this.prefix}event:${id}`;
  }
}

function toEvent(stored: StoredEvent): AuditEvent {
  const facts = {
    id: stored.id,
    at: new Date(stored.at),
    actor: stored.actor,
    action: stored.action,
    outcome: stored.outcome ?? 'OK',
    errorCode: stored.errorCode ?? null,
    details: stored.details,
  };
  return stored.subject === 'UPSTREAM_CREDENTIAL'
    ? { ...facts, subject: 'UPSTREAM_CREDENTIAL', deployment: stored.deployment }
    : { ...facts, subject: 'API_KEY', keyId: stored.keyId, keyName: stored.keyName };
}
