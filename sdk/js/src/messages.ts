/**
 * The `Message` object and the `create*Message` factories. A message gets its `clientMsgID` (and so
 * its final `ID`, `${from}-${clientMsgID}`) when it is created, so the ID is known before sending
 * and never changes; a resend reuses it and the server answers with the stored original.
 *
 * @packageDocumentation
 */

import { TYPES, type TypesValue } from './constants.js';
import { elementsFromPayload, payloadFromElements } from './elements.js';
import { ChatError, ERROR_CODE, invalidParams } from './errors.js';
import { type WireMessage, type WireMsgElement, type WirePriority, wireClientMsgID } from './wire.js';

/** Options shared by the `create*Message` methods (the official `MESSAGE_OPTIONS`). */
export interface MessageOptions {
  /** The receiving userID (`CONV_C2C`) or groupID (`CONV_GROUP`). */
  to: string;
  /** `TYPES.CONV_C2C` or `TYPES.CONV_GROUP`. */
  conversationType: TypesValue;
  /** Type-specific content. */
  payload: any;
  /** `TYPES.MSG_PRIORITY_*`; default `MSG_PRIORITY_NORMAL`. */
  priority?: TypesValue;
  /** Custom data stored with the message and delivered to the receivers. */
  cloudCustomData?: string;
  /** Ask receivers for read receipts. */
  needReadReceipt?: boolean;
  /**
   * The members a targeted group message is meant for. Targeted messages are not served yet, so
   * `sendMessage` refuses a message with a non-empty list (code 2905) rather than deliver it to the
   * whole group.
   */
  receiverList?: string[];
  /** Accepted for compatibility; message extensions are not supported yet. */
  isSupportExtension?: boolean;
  /** Accepted for compatibility; upload progress (file messages are not supported yet). */
  onProgress?: Function;
  /** Accepted for compatibility; content moderation is not supported. */
  customModerationConfigurationID?: string;
}

/** A user reference (`message.revokerInfo`). */
export interface UserInfo {
  userID: string;
  nick: string;
  avatar: string;
}

/** What a message knows about its delivery that the official object does not expose. */
interface MessageInternals {
  clientMsgID: string;
  timeMs: number;
  onlineOnly: boolean;
  excludedFromUnreadCount: boolean;
  excludedFromLastMessage: boolean;
  /**
   * The conversation's count of unread-counted messages up to this one, undefined when the server
   * did not say (an older server, or a message created here and not sent yet).
   */
  countedIndex: number | undefined;
  /** The SDK instance that created it, so another instance's messages are refused. */
  owner: object | undefined;
  /** The `receiverList` it was created with (empty for every message that did not come from a factory). */
  receiverList: string[];
}

const internals = new WeakMap<Message, MessageInternals>();

/**
 * A chat message, with the official Web SDK's field names. Instances come from the
 * `create*Message` methods, `getMessageList`, `findMessage` and `EVENT.MESSAGE_RECEIVED`; the SDK
 * keeps one instance per message ID and updates it in place.
 */
export class Message {
  /** `${from}-${clientMsgID}`; unique in the app and stable from creation on. */
  ID = '';
  /**
   * `TYPES.MSG_*`. The enum-valued fields (`type`, `conversationType`, `priority`) are typed `any`
   * so a Mynah message is assignable to the official `Message` type, which declares them with its
   * `TYPES` enum; their values are always the `TYPES` strings.
   */
  type: any = '';
  /** Type-specific content (`{text}`, `{data, description, extension}`, ...). */
  payload: any = {};
  /** `C2C${peer}` or `GROUP${groupID}`. */
  conversationID = '';
  /** `TYPES.CONV_C2C` or `TYPES.CONV_GROUP` (typed `any`, see `type`). */
  conversationType: any = '';
  /** The receiving userID (C2C) or the groupID (group). */
  to = '';
  /** The sender's userID. */
  from = '';
  /** `'out'` when the logged-in user sent it, `'in'` otherwise. */
  flow = 'out';
  /** Send time, unix seconds (server time once sent). */
  time = 0;
  /** `'unSend'`, `'success'` or `'fail'`. */
  status = 'unSend';
  /** Whether the message was recalled. */
  isRevoked = false;
  /** `TYPES.MSG_PRIORITY_*` (typed `any`, see `type`). */
  priority: any = TYPES.MSG_PRIORITY_NORMAL;
  /** The sender's nickname when the message was sent (`''` from servers that do not stamp it). */
  nick = '';
  /** The sender's avatar URL when the message was sent. */
  avatar = '';
  /** C2C: whether the peer has read it (read receipts are not served yet: false). */
  isPeerRead = false;
  /** The sender's group name card when the message was sent (`''` in C2C and where none). */
  nameCard = '';
  /** Users mentioned by an @ message. */
  atUserList: string[] = [];
  /** Custom data stored with the message. */
  cloudCustomData = '';
  /** Whether the message was deleted locally. */
  isDeleted = false;
  /** Whether a webhook modified the message. */
  isModified = false;
  /** Whether the sender asked for read receipts. */
  needReadReceipt = false;
  /** Read-receipt details (`{readCount, unreadCount}` or `{isPeerRead}`). */
  readReceiptInfo: any = { readCount: 0, unreadCount: 0, isPeerRead: false };
  /** Whether this is an AVChatRoom broadcast message. */
  isBroadcastMessage = false;
  /** Whether message extensions are enabled for it. */
  isSupportExtension = false;
  /** Deprecated: the recaller's userID. */
  revoker = '';
  /** Who recalled the message. */
  revokerInfo: UserInfo = { userID: '', nick: '', avatar: '' };
  /** Why the message was recalled. */
  revokeReason = '';
  /** The dense per-conversation sequence assigned by the server (0 until sent, and for online-only messages). */
  sequence = 0;
  /** Whether moderation flagged the content. */
  hasRiskContent = false;
  /** A random number chosen by the sender. */
  random = 0;
  /**
   * A local ordering number: increasing per SDK instance for messages created here; for messages
   * received from the server, their `sequence`.
   */
  clientSequence = 0;
  /** Client clock at creation, unix seconds (the send time for received messages). */
  clientTime = 0;
  /** Whether the logged-in user has read it (own messages are always read). */
  isRead = true;
  /** Whether it was sent again with `resendMessage`. */
  isResend = false;
  /** Whether it is a system notice. */
  isSystemMessage = false;
}

/** The delivery details of a message (hidden from its enumerable fields). */
export function messageInternals(message: Message): MessageInternals {
  const found = internals.get(message);
  if (!found) throw new ChatError(ERROR_CODE.MSG_INSTANCE_REQUIRED, 'not a Message created by this SDK');
  return found;
}

/** Whether `value` is a Message made by this SDK (optionally by a given instance). */
export function isOwnMessage(value: unknown, owner?: object): value is Message {
  if (!(value instanceof Message)) return false;
  const found = internals.get(value);
  return found !== undefined && (owner === undefined || found.owner === owner);
}

/** The conversation ID of a message as `me` sees it. */
export function conversationIDOf(conversationType: string, from: string, to: string, me: string): string {
  if (conversationType === TYPES.CONV_GROUP) return `${TYPES.CONV_GROUP}${to}`;
  return `${TYPES.CONV_C2C}${from === me ? to : from}`;
}

/** A fresh idempotency key: `[A-Za-z0-9_]`, 25 characters, time-prefixed so it sorts roughly by creation. */
export function newClientMsgID(): string {
  const bytes = new Uint8Array(8);
  const webCrypto = (globalThis as { crypto?: { getRandomValues?: (array: Uint8Array) => Uint8Array } }).crypto;
  if (webCrypto?.getRandomValues) webCrypto.getRandomValues(bytes);
  else for (let index = 0; index < bytes.length; index += 1) bytes[index] = Math.floor(Math.random() * 256);
  const random = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${Date.now().toString(36)}_${random}`;
}

function randomUint32(): number {
  return Math.floor(Math.random() * 0xffffffff) >>> 0;
}

/** What the factories need from the SDK instance. */
export interface MessageFactoryContext {
  owner: object;
  userID(): string;
  serverTimeMs(): number;
  nextClientSequence(): number;
}

const PRIORITIES = new Set<TypesValue>([TYPES.MSG_PRIORITY_HIGH, TYPES.MSG_PRIORITY_NORMAL, TYPES.MSG_PRIORITY_LOW, TYPES.MSG_PRIORITY_LOWEST]);

function requireString(api: string, name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, `${name} must be a non-empty string`);
  return value;
}

function requireNumber(api: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, `${name} must be a number`);
  return value;
}

/** Checks a `create*Message` payload and returns it normalized. */
function validatePayload(api: string, type: string, payload: any): any {
  if (payload === null || typeof payload !== 'object') throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'payload must be an object');
  switch (type) {
    case TYPES.MSG_TEXT: {
      if (typeof payload.text !== 'string') throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'payload.text must be a string');
      const normalized: { text: string; atUserList?: string[] } = { text: payload.text };
      if (payload.atUserList !== undefined) {
        if (!Array.isArray(payload.atUserList)) throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'payload.atUserList must be an array');
        normalized.atUserList = payload.atUserList.map(String);
      }
      return normalized;
    }
    case TYPES.MSG_CUSTOM:
      return {
        data: payload.data === undefined ? '' : String(payload.data),
        description: payload.description === undefined ? '' : String(payload.description),
        extension: payload.extension === undefined ? '' : String(payload.extension),
      };
    case TYPES.MSG_FACE:
      return { index: requireNumber(api, 'payload.index', payload.index), data: payload.data === undefined ? '' : String(payload.data) };
    case TYPES.MSG_LOCATION:
      return {
        description: payload.description === undefined ? '' : String(payload.description),
        longitude: requireNumber(api, 'payload.longitude', payload.longitude),
        latitude: requireNumber(api, 'payload.latitude', payload.latitude),
      };
    default:
      throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, `${type} messages cannot be created yet`);
  }
}

/** Builds an unsent message from `create*Message` options. Throws a `ChatError` on invalid options. */
export function createMessage(context: MessageFactoryContext, api: string, type: string, options: MessageOptions): Message {
  if (options === null || typeof options !== 'object') throw invalidParams(ERROR_CODE.OPTIONS_IS_EMPTY, api, 'options are required');
  const to = requireString(api, 'to', options.to);
  const conversationType = options.conversationType;
  if (conversationType !== TYPES.CONV_C2C && conversationType !== TYPES.CONV_GROUP) {
    throw invalidParams(ERROR_CODE.MSG_INVALID_CONV_TYPE, api, 'conversationType must be TYPES.CONV_C2C or TYPES.CONV_GROUP');
  }
  if (api === 'createTextAtMessage' && conversationType !== TYPES.CONV_GROUP) {
    throw invalidParams(ERROR_CODE.MSG_INVALID_CONV_TYPE, api, '@ messages are for groups (TYPES.CONV_GROUP)');
  }
  const payload = validatePayload(api, type, options.payload);
  if (api === 'createTextAtMessage' && !payload.atUserList) throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'payload.atUserList is required');
  const priority = options.priority ?? TYPES.MSG_PRIORITY_NORMAL;
  if (!PRIORITIES.has(priority)) throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, `unknown priority ${priority}`);
  if (options.cloudCustomData !== undefined && typeof options.cloudCustomData !== 'string') {
    throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'cloudCustomData must be a string');
  }
  const receiverList = options.receiverList ?? [];
  if (!Array.isArray(receiverList) || receiverList.some((userID) => typeof userID !== 'string')) {
    throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'receiverList must be an array of userIDs');
  }

  const message = new Message();
  const clientMsgID = newClientMsgID();
  const from = context.userID();
  const nowMs = context.serverTimeMs();
  message.type = type;
  message.payload = payload;
  message.to = to;
  message.from = from;
  message.flow = 'out';
  message.conversationType = conversationType;
  message.conversationID = conversationIDOf(conversationType, from, to, from);
  message.ID = `${from}-${clientMsgID}`;
  message.priority = priority;
  message.cloudCustomData = options.cloudCustomData ?? '';
  message.needReadReceipt = options.needReadReceipt === true;
  message.isSupportExtension = options.isSupportExtension === true;
  message.atUserList = payload.atUserList ? [...payload.atUserList] : [];
  message.random = randomUint32();
  message.time = Math.floor(nowMs / 1000);
  message.clientTime = Math.floor(Date.now() / 1000);
  message.clientSequence = context.nextClientSequence();
  message.status = 'unSend';
  message.isRead = true;
  internals.set(message, {
    clientMsgID,
    timeMs: nowMs,
    onlineOnly: false,
    excludedFromUnreadCount: false,
    excludedFromLastMessage: false,
    countedIndex: undefined,
    owner: context.owner,
    // Kept so that sendMessage can refuse it: dropping it would send a private message to everyone.
    receiverList: [...receiverList],
  });
  return message;
}

/** The wire body of a message created here. */
export function wireBodyOf(message: Message): WireMsgElement[] {
  const body = elementsFromPayload(message.type, message.payload);
  if (!body) throw new ChatError(ERROR_CODE.INVALID_OPERATION, `${message.type} messages cannot be sent yet`);
  return body;
}

/** Builds a message from server data, as `me` sees it. */
export function messageFromWire(wire: WireMessage, me: string, owner: object | undefined): Message {
  const message = new Message();
  internals.set(message, {
    clientMsgID: wireClientMsgID(wire),
    timeMs: wire.timeMs,
    onlineOnly: wire.onlineOnly === true,
    excludedFromUnreadCount: wire.excludedFromUnreadCount === true,
    excludedFromLastMessage: wire.excludedFromLastMessage === true,
    countedIndex: wire.countedIndex,
    owner,
    receiverList: [],
  });
  applyWire(message, wire, me);
  message.clientSequence = wire.sequence;
  message.clientTime = wire.time;
  return message;
}

/** Updates a message in place from the server's view of it (after sending, or when fetched again). */
export function applyWire(message: Message, wire: WireMessage, me: string): void {
  const { type, payload } = payloadFromElements(wire.msgBody);
  const atUserList = message.atUserList;
  message.ID = wire.ID;
  message.type = type;
  message.payload = type === TYPES.MSG_TEXT && atUserList.length > 0 ? { ...payload, atUserList } : payload;
  message.conversationType = wire.conversationType;
  message.from = wire.from;
  message.to = wire.to;
  message.flow = wire.from === me ? 'out' : 'in';
  message.conversationID = conversationIDOf(wire.conversationType, wire.from, wire.to, me);
  message.time = wire.time;
  message.sequence = wire.sequence;
  message.random = wire.random;
  message.cloudCustomData = wire.cloudCustomData ?? '';
  message.priority = (wire.priority ?? TYPES.MSG_PRIORITY_NORMAL) as WirePriority;
  message.needReadReceipt = wire.needReadReceipt === true;
  message.isRevoked = wire.isRevoked === true;
  message.nick = wire.nick ?? '';
  message.avatar = wire.avatar ?? '';
  message.nameCard = wire.nameCard ?? '';
  message.status = 'success';
  const found = internals.get(message);
  if (found) {
    found.timeMs = wire.timeMs;
    found.onlineOnly = wire.onlineOnly === true;
    found.excludedFromUnreadCount = wire.excludedFromUnreadCount === true;
    found.excludedFromLastMessage = wire.excludedFromLastMessage === true;
    if (wire.countedIndex !== undefined) found.countedIndex = wire.countedIndex;
  }
}

/** What a group system notice shows (`payload` of a `TYPES.MSG_GRP_SYS_NOTICE` message). */
export interface GroupSystemNoticePayload {
  /** The group, as far as the notice knows it. */
  groupProfile: { groupID: string; name: string };
  /** 4 removed from the group, 5 group dismissed, 255 custom notice (the official numbering). */
  operationType: number;
  /** Who did it. */
  operatorID: string;
  /** The custom notice's content, or the removal's reason. */
  userDefinedField: string;
  /** Not used by these notices. */
  handleMessage: string;
}

/**
 * A group system notice in the system conversation (`@TIM#SYSTEM`). The server keeps notices in
 * the user's change stream, not as stored messages: `ID` is derived from the stream position.
 */
export function systemNoticeMessage(ID: string, payload: GroupSystemNoticePayload, timeSeconds: number, me: string, owner: object): Message {
  const message = new Message();
  message.ID = ID;
  message.type = TYPES.MSG_GRP_SYS_NOTICE;
  message.payload = payload;
  message.conversationID = TYPES.CONV_SYSTEM;
  message.conversationType = TYPES.CONV_SYSTEM;
  message.from = TYPES.CONV_SYSTEM;
  message.to = me;
  message.flow = 'in';
  message.time = timeSeconds;
  message.clientTime = timeSeconds;
  message.status = 'success';
  message.isRead = false;
  message.isSystemMessage = true;
  internals.set(message, {
    clientMsgID: ID,
    timeMs: timeSeconds * 1000,
    onlineOnly: true,
    excludedFromUnreadCount: true,
    excludedFromLastMessage: true,
    countedIndex: undefined,
    owner,
    receiverList: [],
  });
  return message;
}
