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
import type { Conversation, ConversationStore } from './conversations.js';
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

/** Page size for catching up (the server's maximum). */
const CATCH_UP_PAGE = 100;

/** Keeps conversations, messages and groups in step with the server. */
export class Synchronizer {
  private queue: Promise<void> = Promise.resolve();
  private generation = 0;
  private position = 0;
  private lostAtMs = 0;
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
    this.received = [];
    this.conversationsDirty = false;
    this.groupsDirty = false;
    this.effects = new Effects();
  }

  /** Records when the connection was lost, to tell new messages from history after reconnecting. */
  noteConnectionLost(): void {
    if (this.lostAtMs === 0) this.lostAtMs = this.host.serverTimeMs();
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
      const snapshot = await this.call(generation, 'getConversationList', {});
      this.host.conversations.clear();
      for (const wire of snapshot.conversationList) this.applyServerConversation(wire);
      this.position = snapshot.position;
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
    return this.enqueue(async () => {
      const generation = this.generation;
      const since = this.position;
      const snapshot = await this.call(generation, 'getConversationList', {});
      for (const wire of snapshot.conversationList) {
        const known = this.host.conversations.get(wire.conversationID);
        if (known) {
          const seen = known.seenSequence;
          this.applyServerConversation(wire);
          if (wire.lastSequence > seen) await this.catchUp(generation, wire.conversationID, seen);
        } else {
          await this.catchUpNewConversation(generation, wire);
        }
      }
      this.conversationsDirty = true;
      await this.syncChanges(generation, snapshot.position, since);
      const { groupList } = await this.call(generation, 'getGroupList', {});
      this.host.groups.replaceAll(groupList);
      this.host.conversations.refreshGroupProfiles();
      this.groupsDirty = true;
      this.lostAtMs = 0;
    });
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
        await this.refreshConversation(generation, message.conversationID, message.sequence - 1);
        state = this.host.conversations.get(message.conversationID);
        this.conversationsDirty = true;
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
      if (this.host.conversations.applyRead(wire.conversationID, wire.readSequence, wire.unreadCount)) this.conversationsDirty = true;
      if (!this.host.conversations.get(wire.conversationID) && this.applyServerConversation(wire)) this.conversationsDirty = true;
      this.host.messages.markRead(wire.conversationID, wire.readSequence);
    });
  }

  /**
   * A conversation's server state fetched on request (`getConversationProfile`). Resolves with the
   * listed conversation, or a detached one when it has no messages (it is not listed then).
   */
  async conversationLoaded(wire: WireConversation): Promise<Conversation> {
    let view: Conversation | undefined;
    await this.enqueue(async () => {
      if (this.applyServerConversation(wire)) this.conversationsDirty = true;
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
      // A conversation new to this session: take the server's counters and deliver from here on.
      await this.refreshConversation(generation, conversationID, wire.sequence - 1);
      state = this.host.conversations.get(conversationID);
      this.conversationsDirty = true;
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
   * A conversation that appeared while disconnected: deliver only what was sent after the
   * connection was lost; anything older is history (for example, a group joined elsewhere).
   */
  private async catchUpNewConversation(generation: number, wire: WireConversation): Promise<void> {
    const conversationID = wire.conversationID;
    const since = this.lostAtMs === 0 ? Number.POSITIVE_INFINITY : this.lostAtMs - 2000;
    const fresh: WireMessage[] = [];
    let beforeSequence: number | undefined;
    for (;;) {
      const request = beforeSequence === undefined ? { conversationID, count: CATCH_UP_PAGE } : { conversationID, beforeSequence, count: CATCH_UP_PAGE };
      const page = await this.call(generation, 'getMessageList', request);
      const newest = [...page.messageList].reverse();
      let reachedHistory = false;
      for (const candidate of newest) {
        if (candidate.timeMs < since) {
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
  }

  /**
   * Takes the server's state of a conversation. A conversation without messages that the SDK does
   * not list yet stays out of the list (returns false), as it does in the server's snapshot.
   */
  private applyServerConversation(wire: WireConversation, seenSequence?: number): boolean {
    if (wire.lastSequence === 0 && !this.host.conversations.get(wire.conversationID)) return false;
    const lastMessage = wire.lastMessage ? this.host.messages.merge(wire.lastMessage, this.host.me()).message : null;
    const state = this.host.conversations.applyServer(wire, lastMessage, seenSequence);
    this.host.messages.markRead(wire.conversationID, state.readSequence);
    if (lastMessage && lastMessage.sequence <= state.seenSequence) this.announced.add(lastMessage);
    return true;
  }

  /**
   * Loads one conversation's server state. `seenSequence` is where delivery to the app continues
   * for a conversation new to this session (default: after its last message).
   */
  private async refreshConversation(generation: number, conversationID: string, seenSequence?: number): Promise<void> {
    try {
      const wire = await this.call(generation, 'getConversation', { conversationID });
      const known = this.host.conversations.get(conversationID) !== undefined;
      this.applyServerConversation(wire, known || seenSequence === undefined ? undefined : Math.max(0, seenSequence));
    } catch (error) {
      if (error instanceof Superseded) throw error;
      this.host.log.warn(`cannot load conversation ${conversationID}`, error);
    }
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
          await this.refreshConversation(generation, change.conversationID);
          this.conversationsDirty = true;
          return;
        }
        if (this.host.conversations.applyRead(change.conversationID, change.readSequence, change.unreadCount)) this.conversationsDirty = true;
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
