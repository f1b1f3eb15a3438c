/**
 * Conversation operations: `getConversationList`, `getConversationProfile`,
 * `getTotalUnreadMessageCount`, `pinConversation`, `setConversationCustomData`, `markConversation`
 * and `setConversationDraft`.
 *
 * @packageDocumentation
 */

import { TYPES, type TypesValue } from './constants.js';
import { type ChatContext, type ChatResponse, ok } from './context.js';
import type { Conversation } from './conversations.js';
import { ERROR_CODE, invalidParams } from './errors.js';
import { checkConversationID } from './message-api.js';

/** The filter form of `getConversationList` options. */
export interface ConversationListFilter {
  /** `TYPES.CONV_C2C` or `TYPES.CONV_GROUP`. */
  type?: TypesValue;
  /** Only conversations with this mark (`0`: without any mark). */
  markType?: number;
  /** Only conversations in this conversation group (`''`: in none). */
  groupName?: string;
  /** Only conversations with unread messages. */
  hasUnreadCount?: boolean;
  /** Only conversations with @ mentions. */
  hasGroupAtInfo?: boolean;
}

/** Result of `getConversationList`. */
export interface ConversationListResult {
  /** Most recently active first. */
  conversationList: Conversation[];
  /** Whether the sync with the server has completed. */
  isSyncCompleted: boolean;
}

function matches(conversation: Conversation, filter: ConversationListFilter): boolean {
  if (filter.type !== undefined && conversation.type !== filter.type) return false;
  if (filter.hasUnreadCount === true && conversation.unreadCount === 0) return false;
  if (filter.hasGroupAtInfo === true && conversation.groupAtInfoList.length === 0) return false;
  if (filter.markType !== undefined) {
    if (filter.markType === 0 ? conversation.markList.length > 0 : !conversation.markList.includes(filter.markType)) return false;
  }
  if (filter.groupName !== undefined) {
    const groups = conversation.conversationGroupList;
    if (filter.groupName === '' ? groups.length > 0 : !groups.includes(filter.groupName)) return false;
  }
  return true;
}

/**
 * `getConversationList`: the synced list, all of it, the given IDs (an empty array gives none), or
 * those matching a filter.
 */
export async function getConversationList(
  context: ChatContext,
  options?: string[] | ConversationListFilter,
): Promise<ChatResponse<ConversationListResult>> {
  const notReady = context.notReadyError('getConversationList');
  if (notReady) throw notReady;
  let conversationList = context.conversations.list();
  if (Array.isArray(options)) {
    const wanted = new Set(options);
    conversationList = conversationList.filter((conversation) => wanted.has(conversation.conversationID));
  } else if (options && typeof options === 'object') {
    conversationList = conversationList.filter((conversation) => matches(conversation, options));
  }
  return ok({ conversationList, isSyncCompleted: context.isReady() });
}

/** `getConversationProfile`: the conversation as the server has it now (also refreshes the local list). */
export async function getConversationProfile(context: ChatContext, conversationID: string): Promise<ChatResponse<{ conversation: Conversation }>> {
  const api = 'getConversationProfile';
  const notReady = context.notReadyError(api);
  if (notReady) throw notReady;
  checkConversationID(api, conversationID);
  const wire = await context.request('getConversation', { conversationID }, { retry: true });
  return ok({ conversation: await context.sync.conversationLoaded(wire) });
}

/** `getTotalUnreadMessageCount`: the sum over the synced conversations (0 before `SDK_READY`). */
export function getTotalUnreadMessageCount(context: ChatContext): number {
  return context.isReady() ? context.conversations.totalUnread() : 0;
}

/** Options of `pinConversation`. */
export interface PinConversationOptions {
  /** `C2C${userID}` or `GROUP${groupID}`. */
  conversationID: string;
  /** true pins the conversation, false unpins it. */
  isPinned: boolean;
}

/**
 * `pinConversation`: pins or unpins a conversation of the user's. The list re-sorts (pinned first)
 * here and on the user's other devices, each emitting `CONVERSATION_LIST_UPDATED`.
 */
export async function pinConversation(context: ChatContext, options: PinConversationOptions): Promise<ChatResponse<{ conversationID: string }>> {
  const api = 'pinConversation';
  const notReady = context.notReadyError(api);
  if (notReady) throw notReady;
  if (!options || typeof options !== 'object') throw invalidParams(ERROR_CODE.OPTIONS_IS_EMPTY, api, 'options are required');
  const type = checkConversationID(api, options.conversationID);
  if (type === TYPES.CONV_SYSTEM) throw invalidParams(ERROR_CODE.INVALID_CONV_ID, api, 'the system conversation cannot be pinned');
  if (typeof options.isPinned !== 'boolean') throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'isPinned must be a boolean');
  const wire = await context.request(api, { conversationID: options.conversationID, isPinned: options.isPinned }, { retry: true });
  await context.sync.pinnedHere(wire);
  return ok({ conversationID: options.conversationID });
}

/** Options of `setConversationCustomData`. */
export interface SetConversationCustomDataOptions {
  /** The conversations to set it on (at most 100). */
  conversationIDList: string[];
  /** At most 256 bytes; `''` clears it. */
  customData: string;
}

/** Result of the batch conversation operations. */
export interface ConversationBatchResult {
  /** The conversations changed. */
  successConversationIDList: string[];
  /** The conversations refused, each with the server's code. */
  failureConversationIDList: { conversationID: string; code: number; message: string }[];
}

/**
 * `setConversationCustomData`: sets the user's custom data of conversations. Each conversation set
 * shows it here and on the user's other devices, each emitting `CONVERSATION_LIST_UPDATED`; one the
 * user does not have is listed in `failureConversationIDList`.
 */
export async function setConversationCustomData(context: ChatContext, options: SetConversationCustomDataOptions): Promise<ChatResponse<ConversationBatchResult>> {
  const api = 'setConversationCustomData';
  const notReady = context.notReadyError(api);
  if (notReady) throw notReady;
  if (!options || typeof options !== 'object') throw invalidParams(ERROR_CODE.OPTIONS_IS_EMPTY, api, 'options are required');
  const list = checkConversationIDList(api, options.conversationIDList);
  if (typeof options.customData !== 'string') throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'customData must be a string');
  const result = await context.request(api, { conversationIDList: list, customData: options.customData }, { retry: true });
  await context.sync.customDataHere(result.successConversationIDList, options.customData);
  return ok({ successConversationIDList: result.successConversationIDList, failureConversationIDList: result.failureConversationIDList });
}

/** Options of `markConversation`. */
export interface MarkConversationOptions {
  /** The conversations to mark (at most 100). */
  conversationIDList: string[];
  /** `TYPES.CONV_MARK_TYPE_*`, or a custom mark `2^n` with 32 ≤ n < 64. */
  markType: number;
  /** true sets the mark, false clears it. */
  enableMark: boolean;
}

/**
 * `markConversation`: sets or clears one mark of conversations. Each conversation changed shows it
 * in `markList` here and on the user's other devices, each emitting `CONVERSATION_LIST_UPDATED`.
 */
export async function markConversation(context: ChatContext, options: MarkConversationOptions): Promise<ChatResponse<ConversationBatchResult>> {
  const api = 'markConversation';
  const notReady = context.notReadyError(api);
  if (notReady) throw notReady;
  if (!options || typeof options !== 'object') throw invalidParams(ERROR_CODE.OPTIONS_IS_EMPTY, api, 'options are required');
  const list = checkConversationIDList(api, options.conversationIDList);
  if (typeof options.markType !== 'number') throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'markType must be a number');
  if (typeof options.enableMark !== 'boolean') throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'enableMark must be a boolean');
  const result = await context.request(api, { conversationIDList: list, markType: options.markType, enableMark: options.enableMark }, { retry: true });
  await context.sync.markedHere(result.successConversationIDList, options.markType, options.enableMark);
  return ok({ successConversationIDList: result.successConversationIDList, failureConversationIDList: result.failureConversationIDList });
}

function checkConversationIDList(api: string, list: unknown): string[] {
  if (!Array.isArray(list) || list.length === 0 || !list.every((id) => typeof id === 'string')) {
    throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'conversationIDList must be a non-empty array of conversationIDs');
  }
  return list;
}

/** Options of `setConversationDraft`. */
export interface SetConversationDraftOptions {
  /** `C2C${userID}` or `GROUP${groupID}`. */
  conversationID: string;
  /** The draft; `''` removes it. */
  draftText: string;
}

/**
 * `setConversationDraft`: sets the conversation's `draftText` on this instance only, as Tencent
 * documents it (kept while the SDK runs, not stored on the server, not synced to other devices).
 * A listed conversation that changed emits `CONVERSATION_LIST_UPDATED`.
 */
export async function setConversationDraft(context: ChatContext, options: SetConversationDraftOptions): Promise<ChatResponse<Record<string, never>>> {
  const api = 'setConversationDraft';
  const notReady = context.notReadyError(api);
  if (notReady) throw notReady;
  if (!options || typeof options !== 'object') throw invalidParams(ERROR_CODE.OPTIONS_IS_EMPTY, api, 'options are required');
  const type = checkConversationID(api, options.conversationID);
  if (type === TYPES.CONV_SYSTEM) throw invalidParams(ERROR_CODE.INVALID_CONV_ID, api, 'the system conversation has no draft');
  if (typeof options.draftText !== 'string') throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'draftText must be a string');
  await context.sync.draftHere(options.conversationID, options.draftText);
  return ok({});
}
