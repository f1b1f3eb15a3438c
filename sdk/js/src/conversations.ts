/**
 * Conversations: the `Conversation` object, its `lastMessage`, and the local conversation list the
 * SDK keeps exact from the server's snapshot, message pushes and read changes.
 *
 * @packageDocumentation
 */

import { TYPES } from './constants.js';
import { messageForShow } from './elements.js';
import type { Group } from './groups.js';
import { type Message, messageInternals } from './messages.js';
import { Profile, profileFromWire } from './profiles.js';
import type { WireConversation } from './wire.js';

/** A conversation's last message, in the official shape. */
export class LastMessage {
  /** Send time of the last message, unix seconds (0 when there is none). */
  lastTime = 0;
  /** Sequence of the last message. */
  lastSequence = 0;
  /** Sender of the last message. */
  fromAccount = '';
  /** `TYPES.MSG_*` of the last message, `''` when there is none. */
  type = '';
  /** Payload of the last message. */
  payload: any = null;
  /** Text to show in a conversation list (`[图片]` and so on for non-text messages). */
  messageForShow = '';
  /** Custom data of the last message. */
  cloudCustomData = '';
  /** Whether the last message was recalled. */
  isRevoked = false;
  /** Whether the peer has read it (not served yet). */
  isPeerRead = false;
  /** Sender nickname when it was sent. */
  nick = '';
  /** Sender group name card when it was sent. */
  nameCard = '';
  /** Whether it was an online-only message. */
  onlineOnlyFlag = false;
  /** Who recalled it. */
  revoker = '';
}

/** A conversation as the logged-in user sees it, with the official field names. */
export class Conversation {
  /** `C2C${userID}`, `GROUP${groupID}` or `@TIM#SYSTEM`. */
  conversationID = '';
  /** `TYPES.CONV_C2C`, `TYPES.CONV_GROUP` or `TYPES.CONV_SYSTEM`. */
  type = '';
  /** Group subtype (topics are not supported: empty). */
  subType = '';
  /** Messages after the user's read mark that count as unread. */
  unreadCount = 0;
  /** The newest message that may be shown (see `messageControlInfo.excludedFromLastMessage`). */
  lastMessage = new LastMessage();
  /** The group's profile for group conversations, when the group is in the group list. */
  groupProfile: Group | null = null;
  /**
   * The peer's profile for C2C conversations, as the server last gave it; from a server that does
   * not send it, only `userID` (and `nick`/`avatar` from the peer's newest message).
   */
  userProfile: Profile | null = null;
  /** @ mentions of the user (not served yet). */
  groupAtInfoList: unknown[] = [];
  /** Friend remark (not served yet). */
  remark = '';
  /** Whether the user pinned the conversation (on any device): pinned conversations list first. */
  isPinned = false;
  /** `TYPES.MSG_REMIND_*` (mute is not served yet: always accept and notify). */
  messageRemindType = TYPES.MSG_REMIND_ACPT_AND_NOTE as string;
  /** The user's own marks (`TYPES.CONV_MARK_TYPE_*` and custom `2^n`, set on any device), ascending. */
  markList: number[] = [];
  /** The user's own custom data of the conversation (set on any device), `''` when unset. */
  customData = '';
  /** Conversation groups it belongs to (not served yet). */
  conversationGroupList: string[] = [];
  /** Draft text, set by `setConversationDraft` on this instance only (never stored on the server). */
  draftText = '';
}

/** The SDK's bookkeeping for one conversation. */
export interface ConversationState {
  view: Conversation;
  /** Highest sequence stored in the conversation, as far as the SDK knows. */
  lastSequence: number;
  /** Highest sequence the user has read. */
  readSequence: number;
  /** Every message up to this sequence has been delivered to the app (or predates the session). */
  seenSequence: number;
  /** Sequences above `seenSequence` already delivered (pushes that came before a missing one). */
  ahead: Set<number>;
  /** The server's `lastSequence` when its state was last taken: its `unreadCount` covers these. */
  countedThrough: number;
  /** The counted index at the user's read mark; undefined when the server does not send counted indexes. */
  readCountedIndex: number | undefined;
  /** The highest counted index known (counted messages up to the newest known message). */
  countedTotal: number;
  /** Orders the list: server time of the last change, unix milliseconds. */
  sortKeyMs: number;
}

function lastMessageOf(message: Message | null): LastMessage {
  const last = new LastMessage();
  if (!message) return last;
  last.lastTime = message.time;
  last.lastSequence = message.sequence;
  last.fromAccount = message.from;
  last.type = message.type;
  last.payload = message.payload;
  last.messageForShow = messageForShow(message.type, message.payload);
  last.cloudCustomData = message.cloudCustomData;
  last.isRevoked = message.isRevoked;
  last.nick = message.nick;
  last.nameCard = message.nameCard;
  last.onlineOnlyFlag = messageInternals(message).onlineOnly;
  return last;
}

/** Whether a stored message counts as unread for `me` until read (not own, not excluded, not online-only). */
export function countsAsUnread(message: Message, me: string): boolean {
  const details = messageInternals(message);
  return message.sequence > 0 && message.from !== me && !details.excludedFromUnreadCount && !details.onlineOnly;
}

function sameMarks(left: number[], right: number[]): boolean {
  return left.length === right.length && left.every((mark, index) => mark === right[index]);
}

/** Which kind of conversation an ID names. */
export function conversationTypeOf(conversationID: string): string | undefined {
  if (conversationID === TYPES.CONV_SYSTEM) return TYPES.CONV_SYSTEM;
  if (conversationID.startsWith(TYPES.CONV_C2C) && conversationID.length > TYPES.CONV_C2C.length) return TYPES.CONV_C2C;
  if (conversationID.startsWith(TYPES.CONV_GROUP) && conversationID.length > TYPES.CONV_GROUP.length) return TYPES.CONV_GROUP;
  return undefined;
}

/** The local conversation list. */
export class ConversationStore {
  private readonly states = new Map<string, ConversationState>();
  /** Drafts by conversationID, kept while the SDK runs, so a conversation listed later shows its draft. */
  private readonly drafts = new Map<string, string>();

  /** Looks a group up by ID, to fill `groupProfile`. */
  constructor(private readonly groupOf: (groupID: string) => Group | undefined) {}

  /** The state of one conversation, when known. */
  get(conversationID: string): ConversationState | undefined {
    return this.states.get(conversationID);
  }

  /** Forgets everything (logout). */
  clear(): void {
    this.states.clear();
    this.drafts.clear();
  }

  /** Sets the draft of a conversation (`''` removes it). Returns whether a listed conversation changed. */
  setDraft(conversationID: string, draftText: string): boolean {
    if (draftText === '') this.drafts.delete(conversationID);
    else this.drafts.set(conversationID, draftText);
    const state = this.states.get(conversationID);
    if (!state || state.view.draftText === draftText) return false;
    state.view.draftText = draftText;
    return true;
  }

  /** The conversations, pinned ones first, each part most recently active first. */
  list(): Conversation[] {
    return [...this.states.values()]
      .sort((left, right) => Number(right.view.isPinned) - Number(left.view.isPinned) || right.sortKeyMs - left.sortKeyMs)
      .map((state) => state.view);
  }

  /** Replaces the marks of a listed conversation. Returns whether they changed. */
  applyMarks(conversationID: string, markList: number[]): boolean {
    const state = this.states.get(conversationID);
    if (!state || sameMarks(state.view.markList, markList)) return false;
    state.view.markList = [...markList];
    return true;
  }

  /** Sets or clears one mark of a listed conversation. Returns whether its marks changed. */
  applyMark(conversationID: string, markType: number, enable: boolean): boolean {
    const current = this.states.get(conversationID)?.view.markList ?? [];
    const others = current.filter((mark) => mark !== markType);
    return this.applyMarks(conversationID, enable ? [...others, markType].sort((left, right) => left - right) : others);
  }

  /** Sets the custom data of a listed conversation. Returns whether it changed. */
  applyCustomData(conversationID: string, customData: string): boolean {
    const state = this.states.get(conversationID);
    if (!state || state.view.customData === customData) return false;
    state.view.customData = customData;
    return true;
  }

  /** Pins or unpins a listed conversation. Returns whether it changed. */
  applyPinned(conversationID: string, isPinned: boolean): boolean {
    const state = this.states.get(conversationID);
    if (!state || state.view.isPinned === isPinned) return false;
    state.view.isPinned = isPinned;
    return true;
  }

  /** Total unread over all conversations except the system conversation. */
  totalUnread(): number {
    let total = 0;
    for (const state of this.states.values()) {
      if (state.view.type !== TYPES.CONV_SYSTEM) total += state.view.unreadCount;
    }
    return total;
  }

  /**
   * Takes the server's word for a conversation (snapshot entry, `getConversation`, `setMessageRead`).
   * `lastMessage` is the SDK's instance of the server's last message, or null. A conversation seen
   * for the first time starts with everything up to `lastSequence` counted as delivered unless
   * `seenSequence` says otherwise.
   */
  applyServer(wire: WireConversation, lastMessage: Message | null, seenSequence?: number): ConversationState {
    let state = this.states.get(wire.conversationID);
    if (!state) {
      const view = new Conversation();
      view.conversationID = wire.conversationID;
      view.draftText = this.drafts.get(wire.conversationID) ?? '';
      state = {
        view,
        lastSequence: 0,
        readSequence: 0,
        seenSequence: seenSequence ?? wire.lastSequence,
        ahead: new Set(),
        countedThrough: 0,
        readCountedIndex: undefined,
        countedTotal: 0,
        sortKeyMs: 0,
      };
      this.states.set(wire.conversationID, state);
    } else if (seenSequence !== undefined) {
      state.seenSequence = seenSequence;
    }
    const view = state.view;
    view.type = wire.type;
    view.unreadCount = wire.unreadCount;
    view.lastMessage = lastMessageOf(lastMessage);
    state.lastSequence = wire.lastSequence;
    state.countedThrough = wire.lastSequence;
    state.readSequence = wire.readSequence;
    state.readCountedIndex = wire.readCountedIndex;
    state.countedTotal = (wire.readCountedIndex ?? 0) + wire.unreadCount;
    for (const sequence of state.ahead) if (sequence <= state.seenSequence) state.ahead.delete(sequence);
    state.sortKeyMs = Math.max(wire.updatedAtMs, lastMessage ? messageInternals(lastMessage).timeMs : 0);
    if (wire.userProfile) view.userProfile = profileFromWire(wire.userProfile);
    view.isPinned = wire.isPinned ?? false;
    view.customData = wire.customData ?? '';
    view.markList = wire.markList ?? [];
    this.fillProfile(view);
    return state;
  }

  /**
   * Lists a conversation first met through one of its stored messages, without asking the server
   * (the message's `countedIndex` and `readCountedIndex`, the user's read mark in it, say all that
   * is needed: `docs/protocol.md`, "Sync"). The messages up to the read mark count as history.
   */
  startFromMessage(message: Message, readCountedIndex: number, readSequence: number): ConversationState {
    const view = new Conversation();
    view.conversationID = message.conversationID;
    view.draftText = this.drafts.get(message.conversationID) ?? '';
    view.type = message.conversationType;
    const state: ConversationState = {
      view,
      lastSequence: 0,
      readSequence,
      // What came before the read mark is history here; anything after it not yet seen is a gap.
      seenSequence: readSequence,
      ahead: new Set(),
      countedThrough: 0,
      readCountedIndex,
      countedTotal: readCountedIndex,
      sortKeyMs: 0,
    };
    this.states.set(message.conversationID, state);
    this.fillProfile(view);
    return state;
  }

  /** A conversation object for server data, not added to the list (a conversation without messages). */
  detached(wire: WireConversation): Conversation {
    const view = new Conversation();
    view.conversationID = wire.conversationID;
    view.type = wire.type;
    view.unreadCount = wire.unreadCount;
    if (wire.userProfile) view.userProfile = profileFromWire(wire.userProfile);
    this.fillProfile(view);
    return view;
  }

  /**
   * Accounts for a stored message (sequence > 0) the server sent or accepted. `isNew` tells whether
   * the session meets it for the first time (not a repeat, a recall or an edit). Returns whether the
   * conversation changed.
   *
   * With counted indexes the unread count is exact whatever the order messages arrive in: counted
   * total − counted index at the read mark. Without them (an older server), a new message after
   * the server's last known state counts one more.
   */
  applyMessage(message: Message, me: string, isNew: boolean): boolean {
    const state = this.states.get(message.conversationID);
    if (!state || message.sequence === 0) return false;
    const details = messageInternals(message);
    let changed = false;
    if (message.from === me) {
      // Sending marks the sender's conversation read up to the message.
      if (message.sequence > state.readSequence) state.readSequence = message.sequence;
    }
    const countedIndex = details.countedIndex;
    if (state.readCountedIndex !== undefined && countedIndex !== undefined) {
      if (countedIndex > state.countedTotal) state.countedTotal = countedIndex;
      if (message.from === me && countedIndex > state.readCountedIndex) state.readCountedIndex = countedIndex;
      const unread = Math.max(0, state.countedTotal - state.readCountedIndex);
      changed = unread !== state.view.unreadCount;
      state.view.unreadCount = unread;
    } else if (message.from === me) {
      if (message.sequence >= state.lastSequence) {
        changed = state.view.unreadCount !== 0;
        state.view.unreadCount = 0;
      }
    } else if (isNew && message.sequence > state.countedThrough && message.sequence > state.readSequence && countsAsUnread(message, me)) {
      state.view.unreadCount += 1;
      changed = true;
    }
    if (message.sequence > state.lastSequence) {
      state.lastSequence = message.sequence;
      changed = true;
    }
    const shown = state.view.lastMessage.lastSequence;
    if (!details.excludedFromLastMessage && message.sequence >= shown) {
      // A recall or an edit of the shown message changes what it shows too.
      state.view.lastMessage = lastMessageOf(message);
      state.sortKeyMs = Math.max(state.sortKeyMs, details.timeMs);
      changed = true;
    }
    if (state.view.type === TYPES.CONV_C2C && message.from !== me && state.view.userProfile && message.nick !== '') {
      state.view.userProfile.nick = message.nick;
      state.view.userProfile.avatar = message.avatar;
    }
    return changed;
  }

  /**
   * Applies a read mark (from `setMessageRead` here or a `conversationRead` change). Read marks only
   * move forward on the server, so one behind the known mark is stale and ignored. With
   * `readCountedIndex` the unread count follows from it (`unreadCount` is what the server counted at
   * the read, which newer messages known here may exceed); otherwise `unreadCount` is taken. Returns
   * whether the conversation changed.
   */
  applyRead(conversationID: string, readSequence: number, unreadCount: number, readCountedIndex?: number): boolean {
    const state = this.states.get(conversationID);
    if (!state || readSequence < state.readSequence) return false;
    let unread = unreadCount;
    if (readCountedIndex !== undefined && state.readCountedIndex !== undefined) {
      state.readCountedIndex = Math.max(state.readCountedIndex, readCountedIndex);
      state.countedTotal = Math.max(state.countedTotal, readCountedIndex + unreadCount);
      unread = Math.max(0, state.countedTotal - state.readCountedIndex);
    }
    const changed = state.readSequence !== readSequence || state.view.unreadCount !== unread;
    state.readSequence = readSequence;
    state.view.unreadCount = unread;
    return changed;
  }

  /**
   * Moves the read mark's counted index up to `readCountedIndex` (never down: read marks only move
   * forward). Returns whether the conversation changed.
   */
  raiseReadMark(conversationID: string, readCountedIndex: number): boolean {
    const state = this.states.get(conversationID);
    if (!state || state.readCountedIndex === undefined || readCountedIndex <= state.readCountedIndex) return false;
    state.readCountedIndex = readCountedIndex;
    state.view.unreadCount = Math.max(0, state.countedTotal - readCountedIndex);
    return true;
  }

  /** Refreshes `groupProfile` of group conversations after the group list changed. */
  refreshGroupProfiles(): void {
    for (const state of this.states.values()) this.fillProfile(state.view);
  }

  private fillProfile(view: Conversation): void {
    if (view.type === TYPES.CONV_GROUP) {
      view.groupProfile = this.groupOf(view.conversationID.slice(TYPES.CONV_GROUP.length)) ?? null;
      view.userProfile = null;
    } else if (view.type === TYPES.CONV_C2C) {
      const userID = view.conversationID.slice(TYPES.CONV_C2C.length);
      if (view.userProfile?.userID !== userID) {
        view.userProfile = new Profile();
        view.userProfile.userID = userID;
      }
    }
  }
}
