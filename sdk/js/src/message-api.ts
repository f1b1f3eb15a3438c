/**
 * Message operations: `sendMessage`, `resendMessage`, `getMessageList`, `findMessage` and
 * `setMessageRead`.
 *
 * @packageDocumentation
 */

import { TYPES } from './constants.js';
import { type ChatContext, type ChatResponse, ok } from './context.js';
import { conversationTypeOf } from './conversations.js';
import { ChatError, ERROR_CODE, invalidParams } from './errors.js';
import { type Message, applyWire, conversationIDOf, isOwnMessage, messageInternals, wireBodyOf } from './messages.js';
import type { WireSendMessageRequest } from './wire.js';

/** Options of `sendMessage` / `resendMessage` (the parts Mynah serves; push options are accepted and ignored). */
export interface SendMessageOptions {
  /** Deliver only to online receivers: not stored, not counted as unread. Not with `messageControlInfo`. */
  onlineUserOnly?: boolean;
  /** Per-message control of the receivers' conversations. */
  messageControlInfo?: {
    /** Do not add to the receivers' unread counts (the message is still stored). */
    excludedFromUnreadCount?: boolean;
    /** Do not make it the conversation's last message (it is still stored). */
    excludedFromLastMessage?: boolean;
    /** Accepted for compatibility; moderation is not served. */
    excludedFromContentModeration?: boolean;
  };
  /** Accepted for compatibility; offline push is not served. */
  offlinePushInfo?: unknown;
}

/** Result of `sendMessage` / `resendMessage`. */
export interface SendMessageResult {
  message: Message;
}

/** Result of `getMessageList`. */
export interface MessageListResult {
  /** Oldest first. */
  messageList: Message[];
  /** Pass to the next call to page further back; `''` when complete. */
  nextReqMessageID: string;
  /** Whether the beginning of the conversation was reached. */
  isCompleted: boolean;
}

/** The history page size of the Web SDK. */
export const MESSAGE_PAGE_SIZE = 15;

/** Checks a conversation ID and returns its type. */
export function checkConversationID(api: string, conversationID: unknown): string {
  const type = typeof conversationID === 'string' ? conversationTypeOf(conversationID) : undefined;
  if (!type) throw invalidParams(ERROR_CODE.INVALID_CONV_ID, api, `invalid conversationID ${String(conversationID)}`);
  return type;
}

/** `sendMessage` and `resendMessage`. */
export async function sendMessage(
  context: ChatContext,
  api: 'sendMessage' | 'resendMessage',
  message: Message,
  options: SendMessageOptions = {},
): Promise<ChatResponse<SendMessageResult>> {
  if (!isOwnMessage(message, context.owner)) throw new ChatError(ERROR_CODE.MSG_INSTANCE_REQUIRED, `${api}: pass a Message created by this SDK instance`);
  const notReady = context.notReadyError(api);
  if (notReady) throw notReady;
  const opts = options ?? {};
  if (opts.onlineUserOnly === true && opts.messageControlInfo !== undefined) {
    throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'onlineUserOnly and messageControlInfo cannot be used together');
  }
  if (messageInternals(message).receiverList.length > 0) {
    // Targeted group messages are not served yet; sending one to the whole group would leak it.
    throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'targeted group messages (receiverList) are not served yet; nothing was sent');
  }
  if (message.to === TYPES.CONV_SYSTEM || message.conversationID === TYPES.CONV_SYSTEM) {
    throw new ChatError(ERROR_CODE.MSG_INVALID_CONV_TYPE, `${api}: messages cannot be sent to the system conversation`);
  }
  if (api === 'resendMessage') {
    if (message.status !== 'fail') throw new ChatError(ERROR_CODE.INVALID_OPERATION, 'resendMessage: only a message whose send failed can be resent');
    message.isResend = true;
  }
  const me = context.userID();
  const details = messageInternals(message);
  if (message.from !== me) {
    if (message.from !== '') throw new ChatError(ERROR_CODE.MSG_INSTANCE_REQUIRED, `${api}: the message was created for ${message.from}`);
    // Created before login: it belongs to whoever sends it.
    message.from = me;
    message.ID = `${me}-${details.clientMsgID}`;
    message.conversationID = conversationIDOf(message.conversationType, me, message.to, me);
  }
  const control = opts.messageControlInfo ?? {};
  const request: WireSendMessageRequest = {
    conversationType: message.conversationType as 'C2C' | 'GROUP',
    to: message.to,
    msgBody: wireBodyOf(message),
    clientMsgID: details.clientMsgID,
    random: message.random,
    cloudCustomData: message.cloudCustomData,
    priority: message.priority as WireSendMessageRequest['priority'],
    needReadReceipt: message.needReadReceipt,
    onlineUserOnly: opts.onlineUserOnly === true,
    excludedFromUnreadCount: control.excludedFromUnreadCount === true,
    excludedFromLastMessage: control.excludedFromLastMessage === true,
  };
  message.status = 'unSend';
  context.sync.markOwn(message);
  context.messages.addLocal(message);
  try {
    // The clientMsgID makes a resend on a new connection safe: the server returns the original.
    const result = await context.request('sendMessage', request, { retry: true });
    applyWire(message, result.message, me);
    message.isRead = true;
    await context.sync.ownMessageSent(message);
    if (result.modified) await context.sync.ownMessageModified(message);
    return ok({ message });
  } catch (error) {
    message.status = 'fail';
    const chatError = error instanceof ChatError ? error : new ChatError(ERROR_CODE.MSG_SEND_FAIL, String(error));
    chatError.data = { message };
    throw chatError;
  }
}

/** `getMessageList`: 15 messages per page, backwards from the newest, continued by `nextReqMessageID`. */
export async function getMessageList(
  context: ChatContext,
  options: { conversationID: string; nextReqMessageID?: string },
): Promise<ChatResponse<MessageListResult>> {
  const api = 'getMessageList';
  const notReady = context.notReadyError(api);
  if (notReady) throw notReady;
  if (!options || typeof options !== 'object') throw invalidParams(ERROR_CODE.OPTIONS_IS_EMPTY, api, 'options are required');
  const { conversationID, nextReqMessageID } = options;
  checkConversationID(api, conversationID);
  let beforeSequence: number | undefined;
  if (nextReqMessageID) {
    const anchor = context.messages.get(nextReqMessageID);
    if (!anchor || anchor.conversationID !== conversationID || anchor.sequence === 0) {
      throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, `nextReqMessageID ${nextReqMessageID} is not a loaded message of ${conversationID}`);
    }
    beforeSequence = anchor.sequence;
  }
  const request = beforeSequence === undefined ? { conversationID, count: MESSAGE_PAGE_SIZE } : { conversationID, beforeSequence, count: MESSAGE_PAGE_SIZE };
  const result = await context.request('getMessageList', request, { retry: true });
  const me = context.userID();
  const readSequence = context.conversations.get(conversationID)?.readSequence ?? 0;
  const messageList = result.messageList.map((wire) => {
    const { message } = context.messages.merge(wire, me);
    if (message.flow === 'in') message.isRead = message.sequence <= readSequence;
    return message;
  });
  const isCompleted = result.isCompleted || messageList.length === 0;
  return ok({ messageList, nextReqMessageID: isCompleted ? '' : messageList[0]!.ID, isCompleted });
}

/** `findMessage`: a message this instance has loaded, or null. */
export function findMessage(context: ChatContext, messageID: string): Message | null {
  return context.messages.get(messageID) ?? null;
}

/** `setMessageRead`: marks the whole conversation read. */
export async function setMessageRead(context: ChatContext, options: { conversationID: string }): Promise<ChatResponse<Record<string, never>>> {
  const api = 'setMessageRead';
  const notReady = context.notReadyError(api);
  if (notReady) throw notReady;
  if (!options || typeof options !== 'object') throw invalidParams(ERROR_CODE.OPTIONS_IS_EMPTY, api, 'options are required');
  checkConversationID(api, options.conversationID);
  const conversation = await context.request('setMessageRead', { conversationID: options.conversationID }, { retry: true });
  await context.sync.readHere(conversation);
  return ok({});
}
