/**
 * Sync: keeps the local caches exact, following "Sync: how a client stays exact" in
 * `docs/protocol.md`. Messages are ordered per conversation by their dense `sequence`; read marks
 * and group joins/leaves by the user's change-stream `position`. Every push, send result, initial
 * sync and resync runs as one task of a serial queue, so the two orderings are applied one step at a
 * time and gaps are filled before anything after them.
 *
 * @packageDocumentation
 */

import { Effects, applyAdministrationChange } from './change-effects.js';
import { TYPES } from './constants.js';
import { type Conversation, type ConversationStore, countsAsUnread } from './conversations.js';
import type { GroupStore } from './groups.js';
import type { Logger } from './log.js';
import type { MessageStore } from './message-store.js';
import { type Message, messageInternals } from './messages.js';
import type { Profile } from './profiles.js';
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

/** Keeps conversations, messages and groups in step with the server. */
export class Synchronizer {
  private queue: Promise<void> = Promise.resolve();
  private generation = 0;
  private position = 0;
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

  constructor(private readonly host: SyncHost) {}

  /** Forgets the session: queued and running tasks stop touching the caches. */
  reset(): void {
    this.generation += 1;
    this.queue = Promise.resolve();
    this.position = 0;
    this.snapshotTaken = false;
    this.snapshotAtMs = 0;
    this.resyncsQueued = 0;
    if (this.resyncRetry !== undefined) clearTimeout(this.resyncRetry);
    this.resyncRetry = undefined;
    this.received = [];
    this.conversationsDirty = false;
    this.groupsDirty = false;
    this.effects = new Effects();
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
      this.position = snapshot.position;
      this.snapshotTaken = true;
      const { groupList } = await this.call(generation, 'getGroupList', {});
      this.host.groups.replaceAll(groupList);
      this.host.conversations.refreshGroupProfiles();
      await this.syncChanges(generation, snapshot.position);
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
      const since = this.position;
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
        await this.syncChanges(generation, snapshot.position, since);
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

  /** A `change` push. */
  onChangePush(entry: WireChangeEntry): void {
    void this.enqueue(async () => {
      const generation = this.generation;
      if (entry.position <= this.position) return;
      if (entry.position > this.position + 1) {
        await this.syncChanges(generation, 0);
        return;
      }
      await this.applyChange(generation, entry, false);
      this.position = entry.position;
    }).catch(() => undefined);
  }

  /** The server accepted a message sent by this instance: cache it and account for it. */
  /** Tells the app that the server rewrote its own message (the app's before-send webhook). */
  ownMessageModified(message: Message): Promise<void> {
    return this.enqueue(async () => {
      this.host.emitModified([message]);
    });
  }

  ownMessageSent(message: Message): Promise<void> {
    return this.enqueue(async () => {
      const generation = this.generation;
      this.host.messages.addLocal(message);
      if (message.sequence === 0) return;
      let state = this.host.conversations.get(message.conversationID);
      if (!state) {
        await this.learnConversation(generation, message.conversationID, message.sequence);
        state = this.host.conversations.get(message.conversationID);
      } else if (this.host.conversations.applyMessage(message, this.host.me())) {
        this.conversationsDirty = true;
      }
      if (!state) return;
      this.advance(message.conversationID);
      if (message.sequence > state.seenSequence) {
        // Someone else's message sits between what was seen and this one; its push is usually on
        // the way. Check once more shortly, in case it is not.
        const conversationID = message.conversationID;
        setTimeout(() => {
          void this.enqueue(async () => {
            const current = this.host.conversations.get(conversationID);
            if (current && current.seenSequence < message.sequence) await this.catchUp(generation, conversationID, current.seenSequence);
          }).catch(() => undefined);
        }, 1000);
      }
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
      const unread = this.unreadAfterRead(conversationID, wire.readSequence, wire.unreadCount, wire.lastSequence);
      if (this.host.conversations.applyRead(conversationID, wire.readSequence, unread)) this.conversationsDirty = true;
      this.host.messages.markRead(conversationID, wire.readSequence);
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
    if (wire.sequence === 0) {
      this.process(wire);
      return;
    }
    const { message } = this.host.messages.merge(wire, this.host.me());
    const conversationID = message.conversationID;
    let state = this.host.conversations.get(conversationID);
    if (!state) {
      await this.learnConversation(generation, conversationID, wire.sequence);
      state = this.host.conversations.get(conversationID);
      if (!state) return;
    }
    if (wire.sequence > state.seenSequence + 1) {
      await this.catchUp(generation, conversationID, state.seenSequence);
      if (wire.sequence <= state.seenSequence) return;
    }
    this.process(wire);
  }

  /** Applies one server message in order: cache, counters, delivery. */
  private process(wire: WireMessage): void {
    const me = this.host.me();
    const { message } = this.host.messages.merge(wire, me);
    if (message.sequence === 0) {
      this.announce(message);
      return;
    }
    const state = this.host.conversations.get(message.conversationID);
    if (!state) return;
    if (this.host.conversations.applyMessage(message, me)) this.conversationsDirty = true;
    if (message.flow === 'in') message.isRead = message.sequence <= state.readSequence;
    if (message.sequence <= state.seenSequence) return;
    if (message.sequence === state.seenSequence + 1) {
      this.announce(message);
      this.advance(message.conversationID);
    }
  }

  private announce(message: Message): void {
    if (this.announced.has(message)) return;
    this.announced.add(message);
    this.received.push(message);
  }

  /** Moves `seenSequence` over messages already in the cache (own sends that arrived early). */
  private advance(conversationID: string): void {
    const state = this.host.conversations.get(conversationID);
    if (!state) return;
    for (;;) {
      const next = this.host.messages.atSequence(conversationID, state.seenSequence + 1);
      if (!next) return;
      state.seenSequence += 1;
      this.announce(next);
    }
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
      const unread = this.unreadAfterRead(wire.conversationID, wire.readSequence, wire.unreadCount, wire.lastSequence);
      this.host.conversations.applyRead(wire.conversationID, wire.readSequence, unread);
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

  /**
   * Fetches and applies changes after the current position. Read marks at or below `snapshotAt`
   * are skipped (the conversation snapshot already reflects them); `from` overrides the start.
   */
  private async syncChanges(generation: number, snapshotAt: number, from?: number): Promise<void> {
    let position = from ?? this.position;
    for (;;) {
      const page = await this.call(generation, 'sync', { position });
      for (const entry of page.changes) {
        if (entry.position <= position) continue;
        await this.applyChange(generation, entry, entry.position <= snapshotAt);
        position = entry.position;
      }
      position = Math.max(position, page.position);
      if (!page.hasMore) break;
    }
    this.position = Math.max(this.position, position, snapshotAt);
  }

  private async applyChange(generation: number, entry: WireChangeEntry, skipReads: boolean): Promise<void> {
    const change = entry.change;
    switch (change.kind) {
      case 'conversationRead': {
        if (skipReads) return;
        if (!this.host.conversations.get(change.conversationID)) {
          await this.learnConversation(generation, change.conversationID);
          return;
        }
        // A read of everything (unreadCount 0) was of the messages up to its readSequence; a partial
        // one's newest message then is unknown, and its count is taken as it is.
        const state = this.host.conversations.get(change.conversationID);
        const lastAtRead = change.unreadCount === 0 ? change.readSequence : (state?.lastSequence ?? change.readSequence);
        const unread = this.unreadAfterRead(change.conversationID, change.readSequence, change.unreadCount, lastAtRead);
        if (this.host.conversations.applyRead(change.conversationID, change.readSequence, unread)) this.conversationsDirty = true;
        this.host.messages.markRead(change.conversationID, change.readSequence);
        return;
      }
      case 'groupJoined': {
        const isNew = this.host.groups.get(change.group.groupID) === undefined;
        this.host.groups.upsert(change.group);
        if (isNew) {
          this.host.conversations.refreshGroupProfiles();
          this.groupsDirty = true;
        }
        return;
      }
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
