/**
 * The simulator's only source of randomness for data and faults.
 *
 * Contract: a `SeededRandom` built from the same seed yields the same sequence, on
 * every machine and Node version (mulberry32: 32-bit integer arithmetic only). Ids
 * look like the vendor's (8-4-4-4-12 lowercase hex) but are not RFC 4122 v4 — the
 * real ones are not either (see the samples). Streams are split by label with
 * `seedFor`, so adding a deployment never changes another deployment's data.
 * Not for secrets: tokens and generated client secrets use node:crypto.
 */

/** Derives an independent 32-bit seed for one named stream (FNV-1a over the text `seed:label`). */
export function seedFor(seed: number, label: string): number {
  let hash = 0x811c9dc5;
  const text = `${seed}:${label}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('SeededRandom.pick needs a non-empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Picks by weight; `weights[i]` belongs to `items[i]`. */
  weighted<T>(items: readonly T[], weights: readonly number[]): T {
    const total = weights.reduce((sum, w) => sum + w, 0);
    let roll = this.next() * total;
    for (let i = 0; i < items.length; i++) {
      roll -= weights[i]!;
      if (roll < 0) return items[i]!;
    }
    return items[items.length - 1]!;
  }

  uuid(): string {
    const s = this.word() + this.word() + this.word() + this.word();
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`;
  }

  /** A private IPv4 address in the given /16, e.g. `10.1.27.252`. */
  address(prefix: string): string {
    return `${prefix}.${this.int(0, 255)}.${this.int(1, 254)}`;
  }

  private word(): string {
    return Math.floor(this.next() * 4294967296)
      .toString(16)
      .padStart(8, '0');
  }
}
