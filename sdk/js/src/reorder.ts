/**
 * The reorder buffer's parts for the one sync rule of `docs/protocol.md` ("Sync"): timers that fill
 * a gap once it is old enough, and the change-stream entries held until the ones before them
 * arrive. Messages are not held (each is delivered at once); their gaps are sets of sequences in
 * the conversation state.
 *
 * @packageDocumentation
 */

import type { WireChangeEntry } from './wire.js';

/**
 * How long a gap may stay open before it is fetched. A push that is only late (another node, a
 * reordered delivery) closes it well within this, so the common case costs no request, and a
 * 10,000-member group whose members all see one lost push does not send 10,000 fetches at once
 * for a gap the next push would have closed.
 */
export const GAP_FILL_DELAY_MS = 1000;

/** More sequences (or change positions) than this held ahead of a gap fill it at once. */
export const MAX_HELD_AHEAD = 100;

/** One timer per open gap, keyed by conversation ID (or any key naming a stream). */
export class GapTimers {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly delayMs: number,
    private readonly fire: (key: string) => void,
  ) {}

  /** Starts the timer of `key` unless it runs already: the gap's age counts from when it opened. */
  arm(key: string): void {
    if (this.timers.has(key)) return;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.fire(key);
    }, this.delayMs);
    // A pending gap fill must not keep a Node process alive on its own.
    (timer as { unref?: () => void }).unref?.();
    this.timers.set(key, timer);
  }

  /** Stops the timer of `key` (its gap closed). */
  disarm(key: string): void {
    const timer = this.timers.get(key);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.timers.delete(key);
  }

  /** Stops every timer (the session ended). */
  clear(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}

/** Change-stream entries that arrived ahead of a missing one, held so changes apply in position order. */
export class ChangeBuffer {
  private readonly held = new Map<number, WireChangeEntry>();

  /** How many entries are held. */
  get size(): number {
    return this.held.size;
  }

  /** Holds an entry; false when it is at or below `position` (applied) or held already. */
  hold(entry: WireChangeEntry, position: number): boolean {
    if (entry.position <= position || this.held.has(entry.position)) return false;
    this.held.set(entry.position, entry);
    return true;
  }

  /** Forgets what is at or below `position`, then takes the entry right after it, when held. */
  next(position: number): WireChangeEntry | undefined {
    for (const held of this.held.keys()) if (held <= position) this.held.delete(held);
    const entry = this.held.get(position + 1);
    if (entry) this.held.delete(entry.position);
    return entry;
  }

  /** Forgets everything (the session ended). */
  clear(): void {
    this.held.clear();
  }
}
