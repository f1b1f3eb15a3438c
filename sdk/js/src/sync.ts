/**
 * Sync: keeps the local caches exact, following "Sync: how a client stays exact" in
 * `docs/protocol.md`. Messages are ordered per conversation by their dense `sequence`; read marks
 * and group joins/leaves by the user's change-stream `position`. Every push, send result, initial
 * sync and resync runs as one task of a serial queue, so the caches change one step at a time.
 *
 * Each new message is delivered at once, even past a gap; each change waits for the ones before it.
 * A gap is fetched only when it is still open after `GAP_FILL_DELAY_MS` (or more than
 * `MAX_HELD_AHEAD` are held ahead of it), with one request per conversation at a time: a push that
 * is merely late closes it for free, and a large group does not stampede the server.
 *
 * @packageDocumentation
 */

import { Effects, applyAdministrationChange } from './change-effects.js';
import { TYPES } from './constants.js';
import { type Conversation, type ConversationState, type ConversationStore, countsAsUnread } from './conversations.js';
import type { GroupStore } from './groups.js';
import type { Logger } from './log.js';
import type { MessageStore } from './message-store.js';
import { type Message, messageInternals } from './messages.js';
import type { Profile } from './profiles.js';
import { ChangeStream, MessageGaps } from './reorder.js';
import type { RequestPolicy } from './session.js';
import type { WireChangeEntry, WireConversation, WireGroup, WireMessage, WireOp, WireOperations } from './wire.js';

/** What the synchronizer needs from the SDK instance. */
export interface SyncHost {
  log: Logger;
  messages: MessageStore;
  conversations: ConversationStore;
  groups: GroupStore;
  /** The SDK instance, owner of the messages the synchronizer builds. */
  owner: object;
  /** The logged-in userID. */
  me(): string;
  /** Estimated server time, unix milliseconds. */
  serverTimeMs(): number;
  request<Op extends WireOp>(op: Op, data: WireOperations[Op][0], policy: RequestPolicy): Promise<WireOperations[Op][1]>;
  /** Called once per task with the messages the app has not seen yet, oldest first. */
  emitReceived(messages: Message[]): void;
  /** Called once per task when the conversation list changed. */
  emitConversations(): void;
  /** Called once per task when the group list changed. */
  emitGroups(): void;
  /** Called once per task with the cached messages recalled in it. */
  emitRevoked(messages: Message[]): void;
  /** Called once per task with the cached messages edited in it. */
  emitModified(messages: Message[]): void;
  /** Called once per task with the profiles that changed in it. */
  emitProfiles(profiles: Profile[]): void;
}

/** Thrown inside tasks that belong to a session that has ended. */
class Superseded extends Error {}

/** How far before the initial snapshot a message still counts as new in a conversation met later. */
const SNAPSHOT_MARGIN_MS = 1000;

/** Delay before a failed resync is tried again. */
const RESYNC_RETRY_MS = 1000;

/** Page size for catching up (the server's maximum). */
const CATCH_UP_PAGE = 100;

/** The most conversations the server's `getConversationList` returns. */
const SNAPSHOT_LIMIT = 500;

/** Where a conversation not listed here was read up to, from a change entry. */
interface UnlistedReadMark {
  readSequence: number;
  readCountedIndex: number;
}

/** Keeps conversations, messages and groups in step with the server. */
export class Synchronizer {
  private queue: Promise<void> = Promise.resolve();
  private generation = 0;
  /**
   * Whether the initial snapshot is applied. From then on every conversation with messages is
   * known to this session or got them since, which tells new messages from history exactly.
   */
  private snapshotTaken = false;
  /** Server time just before the initial snapshot was asked for, less a margin (unix ms). */
  private snapshotAtMs = 0;
  /** Resyncs queued and not started yet. */
  private resyncsQueued = 0;
  private resyncRetry: ReturnType<typeof setTimeout> | undefined;
  private received: Message[] = [];
  private conversationsDirty = false;
  private groupsDirty = false;
  private effects = new Effects();
  /** Messages already handed to the app, or created by this instance (never announced). */
  private readonly announced = new WeakSet<Message>();
  /**
   * Read marks of conversations not listed here, from `groupJoined` and `conversationRead`
   * changes: a later push of such a conversation lists it without a request, its gap-free prefix
   * starting at the read mark (what came before is history to this user).
   */
  private readonly readMarksOfUnlisted = new Map<string, UnlistedReadMark>();
  /** Whether the initial snapshot held every conversation with messages (it was under its limit). */
  private snapshotComplete = false;
  /** The gaps of conversations, filled when due. */
  private readonly gaps = new MessageGaps({
    window: (conversationID) => this.host.conversations.get(conversationID),
    fetchAndApply: (conversationID, afterSequence, count) => this.fetchGapPage(conversationID, afterSequence, count),
    warn: (message, error) => {
      if (!(error instanceof Superseded)) this.host.log.warn(message, error);
    },
  });
  /** The user's change stream, applied in position order. */
  private readonly changes = new ChangeStream({
    fetch: (generation, position) => this.call(generation, 'sync', { position }),
    apply: (generation, entry, snapshotRead) => this.applyChange(generation, entry, snapshotRead),
    enqueue: (work) => this.enqueue(() => work(this.generation)),
    warn: (message, error) => {
      if (!(error instanceof Superseded)) this.host.log.warn(message, error);
    },
  });

  constructor(private readonly host: SyncHost) {}

  /** Forgets the session: queued and running tasks stop touching the caches. */
  reset(): void {
    this.generation += 1;
    this.queue = Promise.resolve();
    this.changes.reset();
    this.snapshotTaken = false;
    this.snapshotAtMs = 0;
    this.resyncsQueued = 0;
    if (this.resyncRetry !== undefined) clearTimeout(this.resyncRetry);
    this.resyncRetry = undefined;
    this.received = [];
    this.conversationsDirty = false;
    this.groupsDirty = false;
    this.effects = new Effects();
    this.readMarksOfUnlisted.clear();
    this.gaps.clear();
  }

  /** Marks a message created by this instance: it is never announced as received. */
  markOwn(message: Message): void {
    this.announced.add(message);
  }

  /** Runs `work` after every task queued before it. Resolves when it is done; errors are logged and rethrown. */
  enqueue(work: () => Promise<void>): Promise<void> {
    const generation = this.generation;
    const run = async (): Promise<void> => {
      if (generation !== this.generation) return;
      try {
        await work();
      } catch (error) {
        if (error instanceof Superseded) return;
        throw error;
      } finally {
        if (generation === this.generation) this.flush();
      }
    };
    const task = this.queue.then(run);
    this.queue = task.catch((error: unknown) => this.host.log.error('sync task failed', error));
    return task;
  }

  /** First sync after login: conversation snapshot, group list, changes since the snapshot. */
  initialSync(): Promise<void> {
    return this.enqueue(async () => {
      const generation = this.generation;
      // A message is stamped before it is stored: one stored just after the snapshot may carry a
      // slightly earlier time.
      const snapshotAtMs = this.host.serverTimeMs() - SNAPSHOT_MARGIN_MS;
      const snapshot = await this.call(generation, 'getConversationList', {});
      this.snapshotAtMs = snapshotAtMs;
      this.host.conversations.clear();
      for (const wire of snapshot.conversationList) this.applyServerConversation(wire);
      this.changes.position = snapshot.position;
      this.snapshotTaken = true;
      this.snapshotComplete = snapshot.conversationList.length < SNAPSHOT_LIMIT;
      const { groupList } = await this.call(generation, 'getGroupList', {});
      this.host.groups.replaceAll(groupList);
      this.host.conversations.refreshGroupProfiles();
      await this.changes.fill(generation, snapshot.position);
      this.conversationsDirty = true;
      this.groupsDirty = true;
    });
  }

  /** Catch-up after a reconnect: snapshot, missed messages per conversation, missed changes. */
  resync(): Promise<void> {
    this.resyncsQueued += 1;
    return this.enqueue(async () => {
      this.resyncsQueued -= 1;
      const generation = this.generation;
      const since = this.changes.position;
      try {
        const snapshot = await this.call(generation, 'getConversationList', {});
        for (const wire of snapshot.conversationList) {
          const known = this.host.conversations.get(wire.conversationID);
          if (known) {
            const seen = known.seenSequence;
            this.applyServerConversation(wire);
            if (wire.lastSequence > seen) await this.catchUp(generation, wire.conversationID, seen);
          } else {
            await this.adoptConversation(generation, wire);
          }
        }
        this.conversationsDirty = true;
        await this.changes.fill(generation, snapshot.position, since);
        const { groupList } = await this.call(generation, 'getGroupList', {});
        this.host.groups.replaceAll(groupList);
        this.host.conversations.refreshGroupProfiles();
        this.groupsDirty = true;
      } catch (error) {
        // Not when the session ended meanwhile (its requests then fail with other codes too).
        if (!(error instanceof Superseded) && generation === this.generation) this.retryResyncLater();
        throw error;
      }
    });
  }

  /**
   * A resync failed (its requests ran out of time while the connection kept failing, or the
   * server refused one). What it missed would only show up with the next message of each
   * conversation or the next reconnect: try again shortly, unless another resync is queued.
   */
  private retryResyncLater(): void {
    if (this.resyncRetry !== undefined) return;
    const generation = this.generation;
    this.resyncRetry = setTimeout(() => {
      this.resyncRetry = undefined;
      if (generation !== this.generation || !this.snapshotTaken || this.resyncsQueued > 0) return;
      this.resync().catch((error: unknown) => this.host.log.warn('resync failed', error));
    }, RESYNC_RETRY_MS);
    (this.resyncRetry as { unref?: () => void }).unref?.();
  }

  /** A `message` push. */
  onMessagePush(wire: WireMessage): void {
    void this.enqueue(async () => this.receive(this.generation, wire)).catch(() => undefined);
  }

  /** A `change` push: applied in position order, held while one before it is missing. */
  onChangePush(entry: WireChangeEntry): void {
    void this.enqueue(async () => {
      const generation = this.generation;
      await this.changes.pushed(generation, entry);
    }).catch(() => undefined);
  }

  /** Tells the app that the server rewrote its own message (the app's before-send webhook). */
  ownMessageModified(message: Message): Promise<void> {
    return this.enqueue(async () => {
      this.host.emitModified([message]);
    });
  }

  /** The server accepted a message sent by this instance: cache it and account for it. */
  ownMessageSent(message: Message): Promise<void> {
    return this.enqueue(async () => {
      this.host.messages.addLocal(message);
      if (message.sequence === 0) return;
      const state = await this.stateFor(this.generation, message);
      if (!state) return;
      // Someone else's message may sit between what was seen and this one; its push is usually on
      // the way, and the gap timer fetches it if not.
      this.account(state, message);
    });
  }

  /** The user read a conversation here (`setMessageRead` result). */
  readHere(wire: WireConversation): Promise<void> {
    return this.enqueue(async () => {
      const conversationID = wire.conversationID;
      if (!this.host.conversations.get(conversationID)) {
        if (await this.adoptConversation(this.generation, wire)) this.conversationsDirty = true;
        return;
      }
      if (this.applyServerRead(wire)) this.conversationsDirty = true;
      this.host.messages.markRead(conversationID, wire.readSequence);
    });
  }

  /** The user pinned or unpinned a conversation here (`pinConversation` result). */
  pinnedHere(wire: WireConversation): Promise<void> {
    return this.enqueue(async () => {
      if (!this.host.conversations.get(wire.conversationID)) {
        if (await this.adoptConversation(this.generation, wire)) this.conversationsDirty = true;
        return;
      }
      if (this.host.conversations.applyPinned(wire.conversationID, wire.isPinned ?? false)) this.conversationsDirty = true;
    });
  }

  /** The user set the custom data of conversations here (`setConversationCustomData` result). */
  customDataHere(conversationIDs: string[], customData: string): Promise<void> {
    return this.enqueue(async () => {
      for (const conversationID of conversationIDs) {
        if (this.host.conversations.applyCustomData(conversationID, customData)) this.conversationsDirty = true;
      }
    });
  }

  /** The user set a conversation's draft here (`setConversationDraft`: local only). */
  draftHere(conversationID: string, draftText: string): Promise<void> {
    return this.enqueue(async () => {
      if (this.host.conversations.setDraft(conversationID, draftText)) this.conversationsDirty = true;
    });
  }

  /** The user set or cleared a mark of conversations here (`markConversation` result). */
  markedHere(conversationIDs: string[], markType: number, enable: boolean): Promise<void> {
    return this.enqueue(async () => {
      for (const conversationID of conversationIDs) {
        if (this.host.conversations.applyMark(conversationID, markType, enable)) this.conversationsDirty = true;
      }
    });
  }

  /**
   * A conversation's server state fetched on request (`getConversationProfile`). Resolves with the
   * listed conversation, or a detached one when it has no messages (it is not listed then).
   */
  async conversationLoaded(wire: WireConversation): Promise<Conversation> {
    let view: Conversation | undefined;
    await this.enqueue(async () => {
      const known = this.host.conversations.get(wire.conversationID) !== undefined;
      if (known ? this.applyServerConversation(wire) : await this.adoptConversation(this.generation, wire)) this.conversationsDirty = true;
      view = this.host.conversations.get(wire.conversationID)?.view;
    });
    return view ?? this.host.conversations.detached(wire);
  }

  /** This instance created or joined a group. */
  groupJoinedHere(wire: WireGroup): Promise<void> {
    return this.enqueue(async () => {
      const isNew = this.host.groups.get(wire.groupID) === undefined;
      this.host.groups.upsert(wire);
      if (isNew) {
        this.host.conversations.refreshGroupProfiles();
        this.groupsDirty = true;
      }
    });
  }

  /** This instance left a group. */
  groupLeftHere(groupID: string): Promise<void> {
    return this.enqueue(async () => {
      if (this.host.groups.remove(groupID)) {
        this.host.conversations.refreshGroupProfiles();
        this.groupsDirty = true;
      }
    });
  }

  // --- messages --------------------------------------------------------------------------------

  private async receive(generation: number, wire: WireMessage): Promise<void> {
    if (wire.sequence > 0) {
      const { message } = this.host.messages.merge(wire, this.host.me());
      if (!(await this.stateFor(generation, message))) return;
    }
    this.process(wire);
  }

  /**
   * The state of the conversation of a stored message, listing the conversation when it is new
   * here. With counted indexes that costs no request (`docs/protocol.md`, "Sync"); from an older
   * server, or before the initial snapshot, the conversation is loaded.
   */
  private async stateFor(generation: number, message: Message): Promise<ConversationState | undefined> {
    const conversationID = message.conversationID;
    const known = this.host.conversations.get(conversationID);
    if (known) return known;
    const readMark = this.readMarksOfUnlisted.get(conversationID) ?? this.readMarkOfNewC2c(message);
    if (this.snapshotTaken && messageInternals(message).countedIndex !== undefined && readMark) {
      this.readMarksOfUnlisted.delete(conversationID);
      this.conversationsDirty = true;
      return this.host.conversations.startFromMessage(message, readMark.readCountedIndex, readMark.readSequence);
    }
    await this.learnConversation(generation, conversationID, message.sequence);
    return this.host.conversations.get(conversationID);
  }

  /**
   * The read mark of a C2C conversation the snapshot did not list: nothing read, nothing before it
   * (the snapshot listed every conversation that had messages, unless it was cut at its limit).
   * Undefined for a group, whose history ends where its `groupJoined` says.
   */
  private readMarkOfNewC2c(message: Message): UnlistedReadMark | undefined {
    if (message.conversationType !== TYPES.CONV_C2C || !this.snapshotComplete) return undefined;
    return { readSequence: 0, readCountedIndex: 0 };
  }

  /** Applies one server message: cache, counters, and delivery when it is new. */
  private process(wire: WireMessage): void {
    const { message } = this.host.messages.merge(wire, this.host.me());
    if (message.sequence === 0) {
      this.announce(message);
      return;
    }
    const state = this.host.conversations.get(message.conversationID);
    if (state) this.account(state, message);
  }

  /**
   * Counts a stored message in its conversation and records its sequence: the next one extends
   * the gap-free prefix, one further opens (or widens) a gap. A new message is announced at once
   * either way (own messages never are: they are marked own); a repeat is not.
   */
  private account(state: ConversationState, message: Message): void {
    const me = this.host.me();
    const isNew = message.sequence > state.seenSequence && !state.ahead.has(message.sequence);
    if (this.host.conversations.applyMessage(message, me, isNew)) this.conversationsDirty = true;
    if (message.flow === 'in') message.isRead = message.sequence <= state.readSequence;
    if (!isNew) return;
    this.announce(message);
    if (message.sequence === state.seenSequence + 1) {
      state.seenSequence = message.sequence;
      this.advance(message.conversationID);
      return;
    }
    state.ahead.add(message.sequence);
    this.gaps.widened(message.conversationID);
  }

  private announce(message: Message): void {
    if (this.announced.has(message)) return;
    this.announced.add(message);
    this.received.push(message);
  }

  /**
   * Moves `seenSequence` over what is already here: sequences delivered ahead of a gap, and
   * cached messages (own sends, history pages the app loaded). Disarms the gap timer once no gap
   * is left.
   */
  private advance(conversationID: string): void {
    const state = this.host.conversations.get(conversationID);
    if (!state) return;
    for (;;) {
      const next = state.seenSequence + 1;
      if (state.ahead.delete(next)) {
        state.seenSequence = next;
        continue;
      }
      const cached = this.host.messages.atSequence(conversationID, next);
      if (!cached) break;
      state.seenSequence = next;
      this.announce(cached);
    }
    for (const sequence of state.ahead) if (sequence <= state.seenSequence) state.ahead.delete(sequence);
    if (state.ahead.size === 0) this.gaps.closed(conversationID);
  }

  /** One page of a gap fill for {@link MessageGaps}, applied as a task. */
  private async fetchGapPage(conversationID: string, afterSequence: number, count: number): Promise<number> {
    const generation = this.generation;
    const page = await this.call(generation, 'getMessageList', { conversationID, afterSequence, count });
    await this.enqueue(async () => {
      for (const wire of page.messageList) this.process(wire);
    });
    return page.messageList.length;
  }

  /** Fetches and applies every message after `after`, oldest first. */
  private async catchUp(generation: number, conversationID: string, after: number): Promise<void> {
    let afterSequence = after;
    for (;;) {
      const page = await this.call(generation, 'getMessageList', { conversationID, afterSequence, count: CATCH_UP_PAGE });
      for (const wire of page.messageList) this.process(wire);
      const last = page.messageList[page.messageList.length - 1];
      if (page.isCompleted || !last) return;
      afterSequence = last.sequence;
    }
  }

  /**
   * Takes in a conversation this session does not list yet, from its server state, and delivers
   * the messages in it that are new to the user. Returns whether the conversation is listed now.
   *
   * The initial snapshot lists the conversations that had messages then (the newest 500), and the
   * session has followed those since, so what it has not seen in a conversation it does not list
   * is exactly what came after the snapshot — in a group, after the user joined it too (what came
   * before is the group's history). Before the snapshot (pushes that arrive during the login),
   * delivery starts after `history` (default: after the last message).
   */
  private async adoptConversation(generation: number, wire: WireConversation, history?: number): Promise<boolean> {
    const conversationID = wire.conversationID;
    if (!this.snapshotTaken || wire.lastSequence === 0) {
      return this.applyServerConversation(wire, history === undefined ? undefined : Math.max(0, history));
    }
    let joinTime = 0;
    if (wire.type === TYPES.CONV_GROUP) {
      const joined = await this.joinTimeOf(generation, conversationID.slice(TYPES.CONV_GROUP.length));
      if (joined === undefined) return this.applyServerConversation(wire);
      joinTime = joined;
    }
    // Newest first, back to the first message before the snapshot or the join (the join has second
    // precision: a message of the join's second counts as new).
    const fresh: WireMessage[] = [];
    let beforeSequence: number | undefined;
    for (;;) {
      const request = beforeSequence === undefined ? { conversationID, count: CATCH_UP_PAGE } : { conversationID, beforeSequence, count: CATCH_UP_PAGE };
      const page = await this.call(generation, 'getMessageList', request);
      const newest = [...page.messageList].reverse();
      let reachedHistory = false;
      for (const candidate of newest) {
        if (candidate.timeMs < this.snapshotAtMs || candidate.time < joinTime) {
          reachedHistory = true;
          break;
        }
        fresh.unshift(candidate);
      }
      const oldest = page.messageList[0];
      if (reachedHistory || page.isCompleted || !oldest) break;
      beforeSequence = oldest.sequence;
    }
    const firstFresh = fresh[0]?.sequence ?? wire.lastSequence + 1;
    this.applyServerConversation(wire, firstFresh - 1);
    for (const message of fresh) this.process(message);
    return true;
  }

  /** When the user joined a group, unix seconds; undefined when the user is not a member (any more). */
  private async joinTimeOf(generation: number, groupID: string): Promise<number | undefined> {
    const known = this.host.groups.get(groupID)?.selfInfo.joinTime;
    if (known) return known;
    try {
      const group = await this.call(generation, 'getGroupProfile', { groupID });
      return group.selfInfo?.joinTime || undefined;
    } catch (error) {
      if (error instanceof Superseded) throw error;
      this.host.log.warn(`cannot load group ${groupID}`, error);
      return undefined;
    }
  }

  /**
   * Loads and takes in a conversation this session does not list yet, met through a push, an own
   * send (its message `sequence`) or a read mark, and marks the list changed. Before the initial
   * snapshot, the messages before `sequence` count as history.
   */
  private async learnConversation(generation: number, conversationID: string, sequence?: number): Promise<void> {
    try {
      const wire = await this.call(generation, 'getConversation', { conversationID });
      if (this.host.conversations.get(conversationID)) this.applyServerConversation(wire);
      else await this.adoptConversation(generation, wire, sequence === undefined ? undefined : sequence - 1);
      this.conversationsDirty = true;
    } catch (error) {
      if (error instanceof Superseded) throw error;
      this.host.log.warn(`cannot load conversation ${conversationID}`, error);
    }
  }

  /**
   * Takes the server's state of a conversation. A conversation without messages that the SDK does
   * not list yet stays out of the list (returns false), as it does in the server's snapshot.
   */
  private applyServerConversation(wire: WireConversation, seenSequence?: number): boolean {
    const known = this.host.conversations.get(wire.conversationID);
    if (wire.lastSequence === 0 && !known) return false;
    if (known && wire.lastSequence < known.lastSequence) {
      // An answer older than messages this session has applied since (it was requested before
      // their pushes were processed): keep them, and take only the read mark.
      this.applyServerRead(wire);
      this.host.messages.markRead(wire.conversationID, known.readSequence);
      return true;
    }
    const lastMessage = wire.lastMessage ? this.host.messages.merge(wire.lastMessage, this.host.me()).message : null;
    const state = this.host.conversations.applyServer(wire, lastMessage, seenSequence);
    this.host.messages.markRead(wire.conversationID, state.readSequence);
    if (lastMessage && lastMessage.sequence <= state.seenSequence) this.announced.add(lastMessage);
    return true;
  }

  /**
   * Takes the read mark of a server answer for a listed conversation. Returns whether it changed.
   * With `readCountedIndex` the unread count follows from it; from an older server, the
   * messages this session applied after the answer's newest one are added to its count.
   */
  private applyServerRead(wire: WireConversation): boolean {
    const unread =
      wire.readCountedIndex !== undefined
        ? wire.unreadCount
        : this.unreadAfterRead(wire.conversationID, wire.readSequence, wire.unreadCount, wire.lastSequence);
    return this.host.conversations.applyRead(wire.conversationID, wire.readSequence, unread, wire.readCountedIndex);
  }

  /**
   * The unread count after a read mark the server reported with `unreadCount` when the newest
   * message of the conversation was `lastAtRead`. Messages this session applied after that one
   * (their pushes were processed before the read's answer) are still unread.
   */
  private unreadAfterRead(conversationID: string, readSequence: number, unreadCount: number, lastAtRead: number): number {
    const state = this.host.conversations.get(conversationID);
    if (!state) return unreadCount;
    const me = this.host.me();
    let unread = unreadCount;
    for (let sequence = Math.max(readSequence, lastAtRead) + 1; sequence <= state.lastSequence; sequence += 1) {
      const message = this.host.messages.atSequence(conversationID, sequence);
      if (message && countsAsUnread(message, me)) unread += 1;
    }
    return unread;
  }

  // --- changes ---------------------------------------------------------------------------------

  private async applyChange(generation: number, entry: WireChangeEntry, skipReads: boolean): Promise<void> {
    const change = entry.change;
    switch (change.kind) {
      case 'conversationRead': {
        if (skipReads) return;
        if (!this.host.conversations.get(change.conversationID)) {
          // Remembered for the conversation's next push; only an older server needs the request.
          if (change.readCountedIndex !== undefined) {
            this.readMarksOfUnlisted.set(change.conversationID, { readSequence: change.readSequence, readCountedIndex: change.readCountedIndex });
          }
          else await this.learnConversation(generation, change.conversationID);
          return;
        }
        // A read of everything (unreadCount 0) was of the messages up to its readSequence; a partial
        // one's newest message then is unknown, and its count is taken as it is.
        const state = this.host.conversations.get(change.conversationID);
        const lastAtRead = change.unreadCount === 0 ? change.readSequence : (state?.lastSequence ?? change.readSequence);
        const unread =
          change.readCountedIndex !== undefined
            ? change.unreadCount
            : this.unreadAfterRead(change.conversationID, change.readSequence, change.unreadCount, lastAtRead);
        if (this.host.conversations.applyRead(change.conversationID, change.readSequence, unread, change.readCountedIndex)) {
          this.conversationsDirty = true;
        }
        this.host.messages.markRead(change.conversationID, change.readSequence);
        return;
      }
      case 'groupJoined': {
        const conversationID = `${TYPES.CONV_GROUP}${change.group.groupID}`;
        if (change.readCountedIndex !== undefined) {
          // Listed already when the group's first push came before this entry (it was held behind
          // a gap): its read mark then started at 0 and moves up to the join's.
          if (this.host.conversations.raiseReadMark(conversationID, change.readCountedIndex)) this.conversationsDirty = true;
          else if (!this.host.conversations.get(conversationID) && change.readSequence !== undefined) {
            this.readMarksOfUnlisted.set(conversationID, { readSequence: change.readSequence, readCountedIndex: change.readCountedIndex });
          }
        }
        const isNew = this.host.groups.get(change.group.groupID) === undefined;
        this.host.groups.upsert(change.group);
        if (isNew) {
          this.host.conversations.refreshGroupProfiles();
          this.groupsDirty = true;
        }
        return;
      }
      case 'groupUpdated':
        // A profile, owner or own-role change: the group as it is now (members only get these).
        this.host.groups.upsert(change.group);
        this.host.conversations.refreshGroupProfiles();
        this.groupsDirty = true;
        return;
      case 'groupLeft':
        if (this.host.groups.remove(change.groupID)) {
          this.host.conversations.refreshGroupProfiles();
          this.groupsDirty = true;
        }
        return;
      default:
        if (applyAdministrationChange(this.host, entry, this.effects)) return;
        this.host.log.debug('ignoring an unknown change', (change as { kind?: string }).kind);
    }
  }

  // --- plumbing --------------------------------------------------------------------------------

  private async call<Op extends WireOp>(generation: number, op: Op, data: WireOperations[Op][0]): Promise<WireOperations[Op][1]> {
    const result = await this.host.request(op, data, { retry: true });
    if (generation !== this.generation) throw new Superseded();
    return result;
  }

  private flush(): void {
    const effects = this.effects;
    this.effects = new Effects();
    this.received.push(...effects.notices);
    if (effects.conversationsChanged) this.conversationsDirty = true;
    if (effects.groupsChanged) this.groupsDirty = true;
    if (this.received.length > 0) {
      const received = this.received;
      this.received = [];
      received.sort((left, right) => messageInternals(left).timeMs - messageInternals(right).timeMs);
      this.host.emitReceived(received);
    }
    if (this.conversationsDirty) {
      this.conversationsDirty = false;
      this.host.emitConversations();
    }
    if (this.groupsDirty) {
      this.groupsDirty = false;
      this.host.emitGroups();
    }
    if (effects.revoked.length > 0) this.host.emitRevoked(effects.revoked);
    if (effects.modified.length > 0) this.host.emitModified(effects.modified);
    if (effects.profiles.length > 0) this.host.emitProfiles(effects.profiles);
  }
}
