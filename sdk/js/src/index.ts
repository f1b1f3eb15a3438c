/**
 * `mynah-chat`: the TencentCloudChat Web SDK API, speaking Mynah's own WebSocket protocol.
 *
 * This file is the package's only export point.
 *
 * ```js
 * import TencentCloudChat from 'mynah-chat';
 * const chat = TencentCloudChat.create({ SDKAppID: 1400000001, proxyServer: 'http://127.0.0.1:9800' });
 * chat.on(TencentCloudChat.EVENT.MESSAGE_RECEIVED, (event) => render(event.data));
 * await chat.login({ userID: 'alice', userSig });
 * ```
 *
 * @packageDocumentation
 */

import { type ChatSDK, registry } from './chat.js';
import type { CreateOptions } from './options.js';
import { EVENT, TSignaling, TYPES } from './constants.js';

/** The version of this package (`TencentCloudChat.VERSION`). */
export const VERSION = '0.1.0';

/** The SDK namespace, as the official `TencentCloudChat` default export. */
export interface TencentCloudChatStatic {
  /** Returns the instance for `options.SDKAppID`, creating it on first use (one instance per SDKAppID). */
  create(options: CreateOptions): ChatSDK;
  /** Event names. */
  readonly EVENT: typeof EVENT;
  /** Constant values. */
  readonly TYPES: typeof TYPES;
  /** Signaling event names and action types. */
  readonly TSignaling: typeof TSignaling;
  /** This package's version. */
  readonly VERSION: string;
}

/** The default export: `TencentCloudChat.create`, `.EVENT`, `.TYPES`, `.TSignaling`, `.VERSION`. */
const TencentCloudChat: TencentCloudChatStatic = Object.freeze({
  create: (options: CreateOptions) => registry.create(options),
  EVENT,
  TYPES,
  TSignaling,
  VERSION,
});

/** Events of the legacy TIM v2 API: the v3 events plus the two v2-only names. */
export const TIM_EVENT = Object.freeze({
  ...EVENT,
  GROUP_SYSTEM_NOTICE_RECEIVED: 'receiveGroupSystemNotice',
  SDK_RELOAD: 'sdkReload',
} as const);

/** The legacy TIM v2 namespace (`TIM.create`, `TIM.EVENT`, `TIM.TYPES`), backed by the same SDK. */
export interface TIMStatic {
  /** Same as `TencentCloudChat.create`. */
  create(options: CreateOptions): ChatSDK;
  /** v2 event names. */
  readonly EVENT: typeof TIM_EVENT;
  /** Constant values. */
  readonly TYPES: typeof TYPES;
  /** This package's version. */
  readonly VERSION: string;
}

/** The legacy TIM v2 API. */
export const TIM: TIMStatic = Object.freeze({
  create: (options: CreateOptions) => registry.create(options),
  EVENT: TIM_EVENT,
  TYPES,
  VERSION,
});

export default TencentCloudChat;

export { EVENT, TSignaling, TYPES } from './constants.js';
export type { EventName } from './constants.js';
export { ChatError, ERROR_CODE } from './errors.js';
export { genTestUserSig } from './usersig.js';
export type { TestUserSig, TestUserSigOptions } from './usersig.js';
export type { ChatSDK } from './chat.js';
export type { CreateOptions, LoginOptions, LoginResult } from './options.js';
export type { ChatResponse } from './context.js';
export type { ChatEvent, ChatEventHandler } from './events.js';
export type { Message, MessageOptions, UserInfo } from './messages.js';
export type { CustomPayload, FacePayload, LocationPayload, TextPayload } from './elements.js';
export type { MessageListResult, SendMessageOptions, SendMessageResult } from './message-api.js';
export type { Conversation, LastMessage } from './conversations.js';
export type { ConversationListFilter, ConversationListResult } from './conversation-api.js';
export type { CreateGroupOptions, Group, GroupSelfInfo } from './groups.js';
export type { GroupMember } from './group-member-api.js';
export type { UpdateGroupProfileOptions } from './group-api.js';
export type { Profile, UpdateMyProfileOptions } from './profiles.js';
export type { GroupSystemNoticePayload } from './messages.js';
export type { WebSocketFactory, WebSocketLike } from './transport.js';
export type { WirePlatform as Platform } from './wire.js';
