/**
 * The reorder buffer's parts for the one sync rule of `docs/protocol.md` ("Sync"): timers that fill
 * a gap once it is old enough, and the change-stream entries held until the ones before them
 * arrive. Messages are not held (each is delivered at once); their gaps are sets of sequences in
 * the conversation state.
 *
 * @packageDocumentation
 */

import type { WireChangeEntry, WireSyncResult } from './wire.js';

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
class ChangeBuffer {
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

/** What {@link MessageGaps} needs from the synchronizer. */
export interface MessageGapsHost {
  /** A listed conversation's gap-free prefix and the sequences delivered ahead of it. */
  window(conversationID: string): { seenSequence: number; ahead: Set<number> } | undefined;
  /**
   * Fetches up to `count` messages after `afterSequence` (`getMessageList`) and applies them as a
   * task of the synchronizer's queue; resolves with how many came.
   */
  fetchAndApply(conversationID: string, afterSequence: number, count: number): Promise<number>;
  /** Logs a failed fill (it is tried again when the gap is due again). */
  warn(message: string, error: unknown): void;
}

/** Page size of a gap fill (the server's maximum). */
const FILL_PAGE = 100;

/**
 * The message side of the rule: a conversation's gap is fetched when it is `GAP_FILL_DELAY_MS`
 * old or more than `MAX_HELD_AHEAD` sequences are ahead of it, never two requests for one
 * conversation at once, and only up to the highest sequence seen ahead (what follows comes by
 * push). The requests run outside the synchronizer's queue, so pushes keep flowing meanwhile.
 */
export class MessageGaps {
  private readonly timers = new GapTimers(GAP_FILL_DELAY_MS, (conversationID) => this.fill(conversationID));
  private readonly filling = new Set<string>();
  /** Counts `clear` calls: a fill that outlives its session leaves the next one alone. */
  private epoch = 0;

  constructor(private readonly host: MessageGapsHost) {}

  /** A sequence arrived past the conversation's prefix: the gap is due later, or now when too much is ahead. */
  widened(conversationID: string): void {
    if ((this.host.window(conversationID)?.ahead.size ?? 0) > MAX_HELD_AHEAD) this.fill(conversationID);
    else this.timers.arm(conversationID);
  }

  /** The conversation's gap closed (its prefix reached everything seen ahead). */
  closed(conversationID: string): void {
    this.timers.disarm(conversationID);
  }

  /** Forgets every gap (the session ended). */
  clear(): void {
    this.epoch += 1;
    this.timers.clear();
    this.filling.clear();
  }

  private fill(conversationID: string): void {
    if (this.filling.has(conversationID)) return;
    this.timers.disarm(conversationID);
    this.filling.add(conversationID);
    const epoch = this.epoch;
    this.fetch(conversationID)
      .catch((error: unknown) => this.host.warn(`cannot fill the gap in ${conversationID}`, error))
      .finally(() => {
        if (epoch !== this.epoch) return;
        this.filling.delete(conversationID);
        // A failed request, or a gap that opened meanwhile: due again after the delay.
        if ((this.host.window(conversationID)?.ahead.size ?? 0) > 0) this.timers.arm(conversationID);
      });
  }

  private async fetch(conversationID: string): Promise<void> {
    const epoch = this.epoch;
    for (;;) {
      const window = this.host.window(conversationID);
      if (epoch !== this.epoch || !window || window.ahead.size === 0) return;
      const afterSequence = window.seenSequence;
      const count = Math.min(FILL_PAGE, Math.max(...window.ahead) - afterSequence);
      const fetched = await this.host.fetchAndApply(conversationID, afterSequence, count);
      // The server's sequences are dense, so a page that moved nothing means there is nothing more.
      if (fetched === 0 || (this.host.window(conversationID)?.seenSequence ?? afterSequence) <= afterSequence) return;
    }
  }
}

/**
 * What {@link ChangeStream} needs from the synchronizer. `generation` is the synchronizer's session
 * number, passed through so a task of an ended session fails instead of touching the next one.
 */
export interface ChangeStreamHost {
  /** One page of the stream after `position` (`sync`). */
  fetch(generation: number, position: number): Promise<WireSyncResult>;
  /** Applies one entry; `snapshotRead` when it is a read mark the conversation snapshot reflects. */
  apply(generation: number, entry: WireChangeEntry, snapshotRead: boolean): Promise<void>;
  /** Runs `work` as a task of the synchronizer's queue, with the generation current then. */
  enqueue(work: (generation: number) => Promise<void>): Promise<void>;
  /** Logs a failed fill (it is tried again when the gap is due again). */
  warn(message: string, error: unknown): void;
}

/**
 * The change-stream side of the rule: entries apply in `position` order; one ahead of a missing
 * entry is held until that one arrives, or until the gap is `GAP_FILL_DELAY_MS` old (or more than
 * `MAX_HELD_AHEAD` are held), when one `sync` fills it. Every method but `reset` runs inside a task
 * of the synchronizer's queue.
 */
export class ChangeStream {
  /** The position of the last entry applied. */
  position = 0;
  private readonly held = new ChangeBuffer();
  private fillQueued = false;
  private readonly timer = new GapTimers(GAP_FILL_DELAY_MS, () => this.due());

  constructor(private readonly host: ChangeStreamHost) {}

  /** Forgets the session's stream. */
  reset(): void {
    this.position = 0;
    this.held.clear();
    this.fillQueued = false;
    this.timer.clear();
  }

  /** A pushed entry: applied when it is next, with the held ones it makes contiguous; held otherwise. */
  async pushed(generation: number, entry: WireChangeEntry): Promise<void> {
    if (!this.held.hold(entry, this.position)) return;
    await this.applyHeld(generation);
    if (this.held.size > MAX_HELD_AHEAD) await this.fill(generation, 0);
  }

  /**
   * Fetches and applies the entries after the position (or after `from`), then the held ones that
   * follow. Read marks at or below `snapshotAt` are passed as `snapshotRead`.
   */
  async fill(generation: number, snapshotAt: number, from?: number): Promise<void> {
    let position = from ?? this.position;
    for (;;) {
      const page = await this.host.fetch(generation, position);
      for (const entry of page.changes) {
        if (entry.position <= position) continue;
        await this.host.apply(generation, entry, entry.position <= snapshotAt);
        position = entry.position;
      }
      position = Math.max(position, page.position);
      if (!page.hasMore) break;
    }
    this.position = Math.max(this.position, position, snapshotAt);
    await this.applyHeld(generation);
  }

  /** Applies the held entries that follow the position; a gap left behind gets its timer. */
  private async applyHeld(generation: number): Promise<void> {
    for (let entry = this.held.next(this.position); entry; entry = this.held.next(this.position)) {
      await this.host.apply(generation, entry, false);
      this.position = entry.position;
    }
    if (this.held.size > 0) this.timer.arm('changes');
    else this.timer.disarm('changes');
  }

  /** The gap is due: one `sync` fills it (queued once). */
  private due(): void {
    if (this.fillQueued) return;
    this.fillQueued = true;
    void this.host
      .enqueue(async (generation) => {
        this.fillQueued = false;
        if (this.held.size > 0) await this.fill(generation, 0);
      })
      .catch((error: unknown) => this.host.warn('change-stream gap fill failed', error));
  }
}
