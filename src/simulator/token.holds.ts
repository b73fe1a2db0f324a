/**
 * Token requests held on purpose: a test holds one client's requests to the token
 * endpoint to see a caller stuck in the middle of a token request (a credential being
 * verified) for exactly as long as it needs, without timing luck or sleeps.
 *
 * Contract: `hold(target, clientId)` holds every token request of that client at that
 * target (a deployment or `central`) that arrives from now on, after it is counted and
 * logged and before anything else happens to it, until `release()`; then they go on as
 * if nothing had happened (faults, authentication, quota). `arrived` resolves when the
 * first such request is being held. A second hold of the same client replaces nothing:
 * it is refused, naming the client. `releaseAll()` (the simulator's `stop()`) lets every
 * held request go. In-process only: there is no control route for it.
 */

export interface TokenHold {
  /** Resolves once a token request of the client is being held. */
  readonly arrived: Promise<void>;
  /** Lets the held requests (and later ones) go on; calling it again does nothing. */
  release(): void;
}

interface Held {
  arrive: () => void;
  released: Promise<void>;
  release: () => void;
}

export class TokenHolds {
  readonly #held = new Map<string, Held>();

  hold(target: string, clientId: string): TokenHold {
    const key = keyOf(target, clientId);
    if (this.#held.has(key)) throw new Error(`the token requests of client '${clientId}' at '${target}' are already held; release that hold first`);
    let arrive!: () => void;
    const arrived = new Promise<void>((resolve) => (arrive = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const held: Held = {
      arrive,
      released,
      release: () => {
        if (this.#held.get(key) === held) this.#held.delete(key);
        release();
      },
    };
    this.#held.set(key, held);
    return { arrived, release: held.release };
  }

  /** Resolves at once unless the client's token requests are held; then when released. */
  pass(target: string, clientId: string): Promise<void> {
    const held = this.#held.get(keyOf(target, clientId));
    if (held === undefined) return Promise.resolve();
    held.arrive();
    return held.released;
  }

  releaseAll(): void {
    for (const held of [...this.#held.values()]) held.release();
  }
}

function keyOf(target: string, clientId: string): string {
  return `${target}\n${clientId}`;
}
