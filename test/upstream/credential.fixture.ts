/**
 * Helpers for the credential-rotation tests: a random FACADE_SECRET_KEY, vaults over
 * memory, SQLite or Redis, the operator who rotates and an audit port that keeps what
 * it is told, new API clients at the simulator, the simulator's token grants, captured
 * log lines, and steady traffic that counts every failure.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Keyv } from 'keyv';
import { SecretKey } from '../../src/config/secret.key.js';
import { CredentialVault } from '../../src/credentials/credential.vault.js';
import { createLogger, type Logger } from '../../src/log/logger.js';
import type { RunningSimulator } from '../../src/simulator/simulator.js';
import type { CredentialAuditEntry, CredentialAuditPort, RotationActor } from '../../src/upstream/upstream.registry.js';
import { control } from './upstream.fixture.js';

export function randomSecretKey(): SecretKey {
  return SecretKey.fromBytes(randomBytes(32));
}

/** An in-memory vault; with a key unless `secretKey` is `null`. */
export function memoryVault(secretKey: SecretKey | null = randomSecretKey()): CredentialVault {
  return new CredentialVault({ store: new Keyv(), secretKey: secretKey ?? undefined });
}

/** The caller of the rotations in these tests. */
export const OPERATOR: RotationActor = { kind: 'KEY', keyId: 'k-operator', keyName: 'operator@test' };

export interface RecordingAudit extends CredentialAuditPort {
  /** Every entry recorded, oldest first. */
  readonly entries: CredentialAuditEntry[];
}

/** An audit port that keeps every entry in memory, in order. */
export function recordingAudit(): RecordingAudit {
  const entries: CredentialAuditEntry[] = [];
  return {
    entries,
    async record(entry) {
      entries.push(entry);
    },
  };
}

export interface NewClient {
  deployment: string;
  clientId: string;
  clientSecret: string;
}

/** Creates an API client at the simulator, as an operator does in USM before rotating. */
export async function createClient(sim: RunningSimulator, deployment: string): Promise<NewClient> {
  return (await control(sim, 'POST', '/clients', { deployment })) as NewClient;
}

export async function deleteClient(sim: RunningSimulator, deployment: string, clientId: string): Promise<void> {
  await control(sim, 'DELETE', '/clients', { deployment, clientId });
}

/** `[deployment, clientId]` of every token the simulator granted since its last stats reset, in order. */
export async function tokenGrants(sim: RunningSimulator): Promise<Array<[string, string]>> {
  const stats = (await control(sim, 'GET', '/stats')) as { tokenGrants: Array<{ deployment: string; clientId: string }> };
  return stats.tokenGrants.map((grant) => [grant.deployment, grant.clientId]);
}

export interface LogCapture {
  logger: Logger;
  text(): string;
}

export function captureLogs(): LogCapture {
  let buffer = '';
  const destination = new Writable({
    write(chunk, _encoding, done) {
      buffer += String(chunk);
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), text: () => buffer };
}

export interface SteadyTraffic {
  /** Resolves once `count` more calls have finished (succeeded or failed). */
  settled(count: number): Promise<void>;
  /** Stops the workers once their current calls finish; resolves with every outcome. */
  stop(): Promise<{ ok: number; failures: unknown[] }>;
}

/** `workers` loops calling `call` back to back until stopped. */
export function steadyTraffic(call: () => Promise<unknown>, workers = 4): SteadyTraffic {
  let running = true;
  let ok = 0;
  const failures: unknown[] = [];
  let finished = 0;
  const waiters: Array<{ at: number; resolve: () => void }> = [];
  const tick = () => {
    finished += 1;
    for (const waiter of waiters.filter((w) => w.at <= finished)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      try {
        await call();
        ok += 1;
      } catch (error) {
        failures.push(error);
      }
      tick();
    }
  });
  return {
    settled: (count) => new Promise<void>((resolve) => waiters.push({ at: finished + count, resolve })),
    async stop() {
      running = false;
      await Promise.all(loops);
      return { ok, failures };
    },
  };
}
