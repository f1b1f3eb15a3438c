/**
 * `ChatSDK`: one SDK instance (`chat`). Owns the login lifecycle, the events, and the caches, and
 * delegates each API family to its module (`message-api`, `conversation-api`, `group-api`).
 *
 * @packageDocumentation
 */

import { EVENT, TYPES, type TypesValue } from './constants.js';
import { type ChatContext, type ChatResponse, ok } from './context.js';
import * as conversationApi from './conversation-api.js';
import { type ConversationListFilter, type ConversationListResult } from './conversation-api.js';
import { type Conversation, ConversationStore } from './conversations.js';
import { ChatError, ERROR_CODE, invalidParams } from './errors.js';
import { Emitter } from './events.js';
import * as groupApi from './group-api.js';
import type { UpdateGroupProfileOptions } from './group-api.js';
import * as groupMemberApi from './group-member-api.js';
import type { GroupMember } from './group-member-api.js';
import { type CreateGroupOptions, type Group, GroupStore } from './groups.js';
import { Logger } from './log.js';
import * as messageApi from './message-api.js';
import { type MessageListResult, type SendMessageOptions, type SendMessageResult } from './message-api.js';
import { MessageStore } from './message-store.js';
import { type Message, type MessageOptions, createMessage } from './messages.js';
import * as profileApi from './profile-api.js';
import type { Profile, UpdateMyProfileOptions } from './profiles.js';
import { type NetState, type RequestPolicy, Session } from './session.js';
import { Synchronizer } from './sync.js';
import type { CreateOptions, LoginOptions, LoginResult } from './options.js';
import { defaultWebSocketFactory, socketUrl } from './transport.js';
import { PROTOCOL_VERSION, type WireKickReason, type WireOp, type WireOperations, type WirePushFrame } from './wire.js';

type State = 'idle' | 'loggingIn' | 'syncing' | 'ready';

const KICK_TYPES: Record<WireKickReason, string> = {
  multipleAccount: TYPES.KICKED_OUT_MULT_ACCOUNT,
  multipleDevice: TYPES.KICKED_OUT_MULT_DEVICE,
  userSigExpired: TYPES.KICKED_OUT_USERSIG_EXPIRED,
  restApi: TYPES.KICKED_OUT_REST_API,
};

function defaultProxyServer(): string {
  const origin = (globalThis as { location?: { origin?: string } }).location?.origin;
  return origin && /^https?:/.test(origin) ? origin : 'http://127.0.0.1:9800';
}

/** One SDK instance: the `chat` of the official examples. Create it with `TencentCloudChat.create`. */
export class ChatSDK {
  private readonly log: Logger;
  private readonly emitter: Emitter;
  private readonly messages: MessageStore;
  private readonly conversations: ConversationStore;
  private readonly groups = new GroupStore();
  private readonly sync: Synchronizer;
  private readonly context: ChatContext;
  private readonly url: string;
  private readonly plugins = new Map<string, unknown>();
  private session: Session | undefined;
  private state: State = 'idle';
  private userID = '';
  private serverOffsetMs = 0;
  private clientSequence = 0;
  private lastTotalUnread = 0;
  /** A reconnect happened during the initial sync: resync right after it. */
  private resyncWhenReady = false;

  /** Use `TencentCloudChat.create` instead. */
  constructor(private readonly options: CreateOptions) {
    this.log = new Logger(`[mynah-chat ${options.SDKAppID}]`);
    this.emitter = new Emitter(this.log);
    this.url = socketUrl(options.proxyServer ?? defaultProxyServer());
    this.messages = new MessageStore(this);
    this.conversations = new ConversationStore((groupID) => this.groups.get(groupID));
    this.sync = new Synchronizer({
      log: this.log,
      messages: this.messages,
      conversations: this.conversations,
      groups: this.groups,
      owner: this,
      me: () => this.userID,
      serverTimeMs: () => Date.now() + this.serverOffsetMs,
      request: (op, data, policy) => this.request(op, data, policy),
      emitReceived: (list) => this.emitter.emit(EVENT.MESSAGE_RECEIVED, list),
      emitConversations: () => this.emitConversations(),
      emitGroups: () => this.emitGroups(),
      emitRevoked: (list) => this.emitter.emit(EVENT.MESSAGE_REVOKED, list),
      emitModified: (list) => this.emitter.emit(EVENT.MESSAGE_MODIFIED, list),
      emitProfiles: (list) => this.emitter.emit(EVENT.PROFILE_UPDATED, list),
    });
    this.context = {
      owner: this,
      log: this.log,
      messages: this.messages,
      conversations: this.conversations,
      groups: this.groups,
      sync: this.sync,
      userID: () => this.userID,
      isReady: () => this.state === 'ready',
      notReadyError: (api, loginOnly) => this.notReadyError(api, loginOnly),
      serverTimeMs: () => Date.now() + this.serverOffsetMs,
      nextClientSequence: () => (this.clientSequence += 1),
      request: (op, data, policy) => this.request(op, data, policy),
    };
  }

  // --- lifecycle --------------------------------------------------------------------------------

  /** Logs in. Resolves `{repeatLogin}` once the server accepted the login; wait for `SDK_READY` before other calls. */
  async login(options: LoginOptions): Promise<ChatResponse<LoginResult>> {
    if (!options || typeof options !== 'object') throw invalidParams(ERROR_CODE.OPTIONS_IS_EMPTY, 'login', 'options are required');
    if (typeof options.userID !== 'string' || options.userID.length === 0) throw new ChatError(ERROR_CODE.NO_IDENTIFIER, 'login: userID is required');
    if (typeof options.userSig !== 'string' || options.userSig.length === 0) throw new ChatError(ERROR_CODE.NO_USERSIG, 'login: userSig is required');
    if (this.session && this.userID === options.userID) {
      if (this.state === 'loggingIn') throw new ChatError(ERROR_CODE.REPEAT_LOGIN, `login: ${options.userID} is already logging in`);
      return ok({ repeatLogin: true, errorInfo: `${options.userID} is already logged in` });
    }
    if (this.state === 'loggingIn') throw new ChatError(ERROR_CODE.REPEAT_LOGIN, 'login: another login is under way');
    if (this.session) await this.logout();

    const session = new Session(
      {
        url: this.url,
        factory: this.options.webSocketFactory ?? defaultWebSocketFactory,
        log: this.log,
        login: {
          sdkAppID: this.options.SDKAppID,
          userID: options.userID,
          userSig: options.userSig,
          platform: this.options.platform ?? 'web',
          protocolVersion: PROTOCOL_VERSION,
        },
        requestTimeoutMs: this.options.requestTimeoutMs ?? 30_000,
        heartbeatIntervalMs: this.options.heartbeatIntervalMs ?? 30_000,
        reconnectMinDelayMs: this.options.reconnectMinDelayMs ?? 250,
        reconnectMaxDelayMs: this.options.reconnectMaxDelayMs ?? 10_000,
      },
      {
        onPush: (frame) => this.onPush(session, frame),
        onNetState: (state) => this.onNetState(session, state),
        onReconnected: () => this.onReconnected(session),
        onLost: (error) => this.onLost(session, error),
        onServerTime: (serverTimeMs) => {
          this.serverOffsetMs = serverTimeMs - Date.now();
        },
      },
    );
    this.session = session;
    this.userID = options.userID;
    this.state = 'loggingIn';
    this.sync.reset();
    this.resyncWhenReady = false;
    try {
      await session.start();
    } catch (error) {
      if (this.session === session) this.endSession();
      throw error;
    }
    if (this.session !== session) throw new ChatError(ERROR_CODE.LOGGED_OUT, 'login: logged out while logging in');
    this.state = 'syncing';
    this.log.info(`logged in as ${options.userID}`);
    this.emitter.emit(EVENT.NET_STATE_CHANGE, { state: TYPES.NET_STATE_CONNECTED });
    void this.runInitialSync(session);
    return ok({ repeatLogin: false });
  }

  /**
   * Logs out: the server session ends, local data is cleared, `SDK_NOT_READY` fires. Resolves the
   * imResponse `{code: 0, data: {}}`; typed `void &` it so it stays assignable to the official
   * declaration, `Promise<void>`.
   */
  async logout(): Promise<void & ChatResponse<Record<string, never>>> {
    const session = this.session;
    if (!session) return ok({}) as void & ChatResponse<Record<string, never>>;
    this.endSession();
    await session.logout();
    this.emitter.emit(EVENT.SDK_NOT_READY);
    return ok({}) as void & ChatResponse<Record<string, never>>;
  }

  /** Logs out, closes the connection and releases the instance (a later `create` makes a new one). */
  async destroy(): Promise<void> {
    await this.logout();
    this.emitter.emit(EVENT.SDK_DESTROY);
    this.emitter.clear();
    registry.forget(this);
  }

  /** Whether the SDK is ready (`SDK_READY` has fired and no logout or kick-out happened since). */
  isReady(): boolean {
    return this.state === 'ready';
  }

  /** The logged-in userID, `''` when not logged in. */
  getLoginUser(): string {
    return this.userID;
  }

  /** The server's clock, unix seconds (estimated from the login and heartbeat answers). */
  getServerTime(): number {
    return Math.floor((Date.now() + this.serverOffsetMs) / 1000);
  }

  /** Listens for an `EVENT.*`; the handler gets `{name, data}` with `this` = `context`. */
  on(eventName: string, handler: Function, context?: unknown): void {
    this.emitter.on(eventName, handler, context);
  }

  /** Listens for one occurrence of an `EVENT.*`. */
  once(eventName: string, handler: Function, context?: unknown): void {
    this.emitter.on(eventName, handler, context, true);
  }

  /** Stops listening; with `once`, removes only one registration. */
  off(eventName: string, handler: Function, context?: unknown, once?: boolean): void {
    this.emitter.off(eventName, handler, context, once === true);
  }

  /** Sets the log level: 0 verbose, 1 release (default), 2 warnings, 3 errors, 4 none. */
  setLogLevel(level: number): void {
    this.log.setLevel(level);
  }

  /**
   * Registers plugins by name (`{'tim-upload-plugin': TIMUploadPlugin}`,
   * `{'tim-push': TIMPush, pushConfig}`, ...). They are kept; Mynah does not use them yet.
   */
  registerPlugin(options: Record<string, unknown>): void {
    if (!options || typeof options !== 'object') return;
    for (const [name, plugin] of Object.entries(options)) {
      this.plugins.set(name, plugin);
      this.log.info(`plugin ${name} registered (kept; not used by Mynah yet)`);
    }
  }

  // --- messages ---------------------------------------------------------------------------------

  /** A text message (`payload: {text}`). */
  createTextMessage(options: MessageOptions): Message {
    return createMessage(this.context, 'createTextMessage', TYPES.MSG_TEXT, options);
  }

  /** A group text message that mentions users (`payload: {text, atUserList}`). */
  createTextAtMessage(options: MessageOptions): Message {
    return createMessage(this.context, 'createTextAtMessage', TYPES.MSG_TEXT, options);
  }

  /** A custom message (`payload: {data, description, extension}`). */
  createCustomMessage(options: MessageOptions): Message {
    return createMessage(this.context, 'createCustomMessage', TYPES.MSG_CUSTOM, options);
  }

  /** A face message (`payload: {index, data}`). */
  createFaceMessage(options: MessageOptions): Message {
    return createMessage(this.context, 'createFaceMessage', TYPES.MSG_FACE, options);
  }

  /** A location message (`payload: {description, longitude, latitude}`). */
  createLocationMessage(options: MessageOptions): Message {
    return createMessage(this.context, 'createLocationMessage', TYPES.MSG_LOCATION, options);
  }

  /** Sends a created message; resolves `{message}` with the server's sequence and time filled in. */
  sendMessage(message: Message, options?: SendMessageOptions): Promise<ChatResponse<SendMessageResult>> {
    return messageApi.sendMessage(this.context, 'sendMessage', message, options);
  }

  /** Sends a failed message again with the same ID; the server never stores it twice. */
  resendMessage(message: Message, options?: SendMessageOptions): Promise<ChatResponse<SendMessageResult>> {
    return messageApi.sendMessage(this.context, 'resendMessage', message, options);
  }

  /** A page of 15 messages, newest page first; continue with `nextReqMessageID`. */
  getMessageList(options: { conversationID: string; nextReqMessageID?: string }): Promise<ChatResponse<MessageListResult>> {
    return messageApi.getMessageList(this.context, options);
  }

  /** A message this instance has loaded (sent, received or fetched), or null. */
  findMessage(messageID: string): Message | null {
    return messageApi.findMessage(this.context, messageID);
  }

  /** Marks a whole conversation read (`unreadCount` becomes 0, on every device). */
  setMessageRead(options: { conversationID: string }): Promise<ChatResponse<Record<string, never>>> {
    return messageApi.setMessageRead(this.context, options);
  }

  // --- conversations ----------------------------------------------------------------------------

  /** The conversation list: all, the given IDs, or those matching a filter. */
  getConversationList(options?: string[] | ConversationListFilter): Promise<ChatResponse<ConversationListResult>> {
    return conversationApi.getConversationList(this.context, options);
  }

  /** One conversation, fresh from the server: resolves `{conversation}`. */
  getConversationProfile(conversationID: string): Promise<ChatResponse<{ conversation: Conversation }>> {
    return conversationApi.getConversationProfile(this.context, conversationID);
  }

  /** Pins or unpins a conversation; the list re-sorts here and on the user's other devices. */
  pinConversation(options: conversationApi.PinConversationOptions): Promise<ChatResponse<{ conversationID: string }>> {
    return conversationApi.pinConversation(this.context, options);
  }

  /** Sets a conversation's draft on this instance only (Tencent keeps drafts off the server). */
  setConversationDraft(options: conversationApi.SetConversationDraftOptions): Promise<ChatResponse<Record<string, never>>> {
    return conversationApi.setConversationDraft(this.context, options);
  }

  /** Sets or clears one mark of conversations, on every device of the user. */
  markConversation(options: conversationApi.MarkConversationOptions): Promise<ChatResponse<conversationApi.ConversationBatchResult>> {
    return conversationApi.markConversation(this.context, options);
  }

  /** Sets the user's custom data of conversations, on every device of the user. */
  setConversationCustomData(options: conversationApi.SetConversationCustomDataOptions): Promise<ChatResponse<conversationApi.ConversationBatchResult>> {
    return conversationApi.setConversationCustomData(this.context, options);
  }

  /** Unread messages over all conversations. */
  getTotalUnreadMessageCount(): number {
    return conversationApi.getTotalUnreadMessageCount(this.context);
  }

  // --- groups -----------------------------------------------------------------------------------

  /** Creates a group: resolves `{group, overLimitUserIDList}`. */
  createGroup(options: CreateGroupOptions): Promise<ChatResponse<{ group: Group; overLimitUserIDList: string[] }>> {
    return groupApi.createGroup(this.context, options);
  }

  /** Joins a group: resolves `{status, group}`. */
  joinGroup(options: { groupID: string; applyMessage?: string; type?: TypesValue }): Promise<ChatResponse<{ status: string; group: Group }>> {
    return groupApi.joinGroup(this.context, options);
  }

  /** Leaves a group: resolves `{groupID}`. */
  quitGroup(groupID: string): Promise<ChatResponse<{ groupID: string }>> {
    return groupApi.quitGroup(this.context, groupID);
  }

  /** Dismisses a group (its owner; not a work group): resolves `{groupID}`. */
  dismissGroup(groupID: string): Promise<ChatResponse<{ groupID: string }>> {
    return groupApi.dismissGroup(this.context, groupID);
  }

  /** A page of members: resolves `{memberList, offset}` (`offset` 0: complete). */
  getGroupMemberList(options: {
    groupID: string;
    role?: string;
    count?: number;
    offset?: number | string;
    filter?: number;
  }): Promise<ChatResponse<{ memberList: GroupMember[]; offset: number }>> {
    return groupMemberApi.getGroupMemberList(this.context, options);
  }

  /** Named members: resolves `{memberList}`. */
  getGroupMemberProfile(options: { groupID: string; userIDList: string[]; memberCustomFieldFilter?: string[] }): Promise<ChatResponse<{ memberList: GroupMember[] }>> {
    return groupMemberApi.getGroupMemberProfile(this.context, options);
  }

  /** Adds members: resolves `{successUserIDList, failureUserIDList, existedUserIDList, overLimitUserIDList, group}`. */
  addGroupMember(options: { groupID: string; userIDList: string[] }): Promise<
    ChatResponse<{ successUserIDList: string[]; failureUserIDList: string[]; existedUserIDList: string[]; overLimitUserIDList: string[]; group: Group }>
  > {
    return groupMemberApi.addGroupMember(this.context, options);
  }

  /** Removes members: resolves `{group, userIDList}`. */
  deleteGroupMember(options: { groupID: string; userIDList: string[]; reason?: string; duration?: number }): Promise<ChatResponse<{ group: Group; userIDList: string[] }>> {
    return groupMemberApi.deleteGroupMember(this.context, options);
  }

  /** Changes a group's profile: resolves `{group}`. */
  updateGroupProfile(options: UpdateGroupProfileOptions): Promise<ChatResponse<{ group: Group }>> {
    return groupApi.updateGroupProfile(this.context, options);
  }

  /** Mutes a member for `muteTime` seconds (0 unmutes): resolves `{group, member}`. */
  setGroupMemberMuteTime(options: { groupID: string; userID: string; muteTime: number }): Promise<ChatResponse<{ group: Group; member: GroupMember }>> {
    return groupMemberApi.setGroupMemberMuteTime(this.context, options);
  }

  /** Sets a member's name card (one's own by default): resolves `{group, member}`. */
  setGroupMemberNameCard(options: { groupID: string; userID?: string; nameCard: string }): Promise<ChatResponse<{ group: Group; member: GroupMember }>> {
    return groupMemberApi.setGroupMemberNameCard(this.context, options);
  }

  /** Hands a group to another member: resolves `{group}`. */
  changeGroupOwner(options: { groupID: string; newOwnerID: string }): Promise<ChatResponse<{ group: Group }>> {
    return groupApi.changeGroupOwner(this.context, options);
  }

  /** Makes a member an admin or an ordinary member: resolves `{group, member}`. */
  setGroupMemberRole(options: { groupID: string; userID: string; role: TypesValue }): Promise<ChatResponse<{ group: Group; member: GroupMember }>> {
    return groupMemberApi.setGroupMemberRole(this.context, options);
  }

  /** The joined groups: resolves `{groupList}`. */
  getGroupList(): Promise<ChatResponse<{ groupList: Group[] }>> {
    return groupApi.getGroupList(this.context);
  }

  /** One group's profile: resolves `{group}`. */
  getGroupProfile(options: { groupID: string; groupCustomFieldFilter?: string[] }): Promise<ChatResponse<{ group: Group }>> {
    return groupApi.getGroupProfile(this.context, options);
  }

  // --- profiles ---------------------------------------------------------------------------------

  /** The logged-in user's profile: resolves a `Profile`. */
  getMyProfile(): Promise<ChatResponse<Profile>> {
    return profileApi.getMyProfile(this.context);
  }

  /** Profiles of up to 100 users: resolves the `Profile`s of those that exist. */
  getUserProfile(options: { userIDList: string[] }): Promise<ChatResponse<Profile[]>> {
    return profileApi.getUserProfile(this.context, options);
  }

  /** Changes the logged-in user's profile: resolves the updated `Profile`; every session gets `PROFILE_UPDATED`. */
  updateMyProfile(options: UpdateMyProfileOptions): Promise<ChatResponse<Profile>> {
    return profileApi.updateMyProfile(this.context, options);
  }

  // --- internals --------------------------------------------------------------------------------

  private request<Op extends WireOp>(op: Op, data: WireOperations[Op][0], policy: RequestPolicy): Promise<WireOperations[Op][1]> {
    const session = this.session;
    if (!session) return Promise.reject(new ChatError(ERROR_CODE.USER_NOT_LOGGED_IN, `${op}: not logged in`));
    return session.request(op, data, policy);
  }

  private notReadyError(api: string, loginOnly = false): ChatError | undefined {
    if (!this.session || this.state === 'idle') return new ChatError(ERROR_CODE.USER_NOT_LOGGED_IN, `${api}: not logged in`);
    if (loginOnly || this.state === 'ready') return undefined;
    return new ChatError(ERROR_CODE.SDK_IS_NOT_READY, `${api}: the SDK is not ready yet (wait for EVENT.SDK_READY)`);
  }

  private async runInitialSync(session: Session): Promise<void> {
    for (let attempt = 1; this.session === session; attempt += 1) {
      try {
        await this.sync.initialSync();
        if (this.session !== session) return;
        this.state = 'ready';
        this.lastTotalUnread = this.conversations.totalUnread();
        this.log.info('ready');
        this.emitter.emit(EVENT.SDK_READY);
        if (this.resyncWhenReady) {
          this.resyncWhenReady = false;
          this.sync.resync().catch((resyncError: unknown) => this.log.error('resync failed', resyncError));
        }
        return;
      } catch (error) {
        this.log.warn(`initial sync failed (attempt ${attempt})`, error);
        await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 500 * attempt)));
      }
    }
  }

  private onPush(session: Session, frame: WirePushFrame): void {
    if (this.session !== session) return;
    switch (frame.push) {
      case 'message':
        this.sync.onMessagePush(frame.data);
        return;
      case 'change':
        this.sync.onChangePush(frame.data);
        return;
      case 'kicked': {
        const type = KICK_TYPES[frame.data.reason] ?? frame.data.reason;
        this.log.warn(`kicked out: ${type}`);
        this.endSession();
        session.close();
        this.emitter.emit(EVENT.SDK_NOT_READY);
        this.emitter.emit(EVENT.KICKED_OUT, { type });
        return;
      }
      default:
        this.log.debug('ignoring an unknown push', (frame as { push?: string }).push);
    }
  }

  private onNetState(session: Session, state: NetState): void {
    if (this.session !== session) return;
    this.emitter.emit(EVENT.NET_STATE_CHANGE, { state });
  }

  private onReconnected(session: Session): void {
    if (this.session !== session) return;
    // During the initial sync, its snapshot may predate the drop: resync once it is done.
    if (this.state === 'syncing') this.resyncWhenReady = true;
    if (this.state !== 'ready') return;
    this.sync.resync().catch((error: unknown) => this.log.error('resync failed', error));
  }

  private onLost(session: Session, error: ChatError): void {
    if (this.session !== session) return;
    this.endSession();
    this.emitter.emit(EVENT.SDK_NOT_READY);
    if (error.code === 70001) this.emitter.emit(EVENT.KICKED_OUT, { type: TYPES.KICKED_OUT_USERSIG_EXPIRED });
    else this.emitter.emit(EVENT.ERROR, { code: error.code, message: error.message });
  }

  /** Forgets the session and every cached object. */
  private endSession(): void {
    this.session = undefined;
    this.state = 'idle';
    this.userID = '';
    this.sync.reset();
    this.messages.clear();
    this.conversations.clear();
    this.groups.clear();
    this.lastTotalUnread = 0;
  }

  private emitConversations(): void {
    this.emitter.emit(EVENT.CONVERSATION_LIST_UPDATED, this.conversations.list());
    const total = this.conversations.totalUnread();
    if (total !== this.lastTotalUnread) {
      this.lastTotalUnread = total;
      this.emitter.emit(EVENT.TOTAL_UNREAD_MESSAGE_COUNT_UPDATED, total);
    }
  }

  private emitGroups(): void {
    const list = this.groups.list();
    for (const group of list) {
      const conversation = this.conversations.get(`${TYPES.CONV_GROUP}${group.groupID}`);
      if (conversation) group.lastMessage = conversation.view.lastMessage;
    }
    this.emitter.emit(EVENT.GROUP_LIST_UPDATED, list);
  }
}

/** The per-SDKAppID instance registry behind `create`. */
export const registry = {
  instances: new Map<number, ChatSDK>(),
  /** The instance for `options.SDKAppID`, made on first use (or always new with `newInstance`). */
  create(options: CreateOptions): ChatSDK {
    if (!options || typeof options !== 'object' || typeof options.SDKAppID !== 'number') {
      throw new ChatError(ERROR_CODE.NO_SDKAPPID, 'create: SDKAppID (a number) is required');
    }
    if (options.newInstance) return new ChatSDK(options);
    const existing = this.instances.get(options.SDKAppID);
    if (existing) return existing;
    const chat = new ChatSDK(options);
    this.instances.set(options.SDKAppID, chat);
    return chat;
  },
  /** Drops a destroyed instance. */
  forget(chat: ChatSDK): void {
    for (const [sdkAppID, instance] of this.instances) if (instance === chat) this.instances.delete(sdkAppID);
  },
};
