/**
 * Type-level conformance, checked by `tsc --noEmit` (`npm run typecheck`, part of `npm test`): for
 * every implemented method, our declared `ChatSDK` is assignable to the official `ChatSDK` of
 * `@tencentcloud/chat`, so code typed against the official SDK compiles against Mynah's.
 */
import type {
  ChatSDK as OfficialChatSDK,
  Conversation as OfficialConversation,
  Message as OfficialMessage,
  Profile as OfficialProfile,
} from '@tencentcloud/chat';

import type { ChatSDK, Conversation, Message, Profile } from '../../src/index.js';
import type { ImplementedMethod } from './implemented.js';

declare const ours: ChatSDK;

/** Fails to compile if any implemented method's signature is incompatible with the official one. */
export const assignable: Pick<OfficialChatSDK, ImplementedMethod> = ours;

/** Fails to compile if a name in the list is not an official method at all. */
export type AllOfficial = ImplementedMethod extends keyof OfficialChatSDK ? true : never;
export const allOfficial: AllOfficial = true;

/** `true` when every field of the official object exists on ours (`never` names the first gap). */
type NoFieldMissing<Official, Ours> = [Exclude<keyof Official, keyof Ours>] extends [never] ? true : never;
/** Fail to compile if an official field of `Message`, `Conversation` or `Profile` is missing on ours. */
export const messageFields: NoFieldMissing<OfficialMessage, Message> = true;
export const conversationFields: NoFieldMissing<OfficialConversation, Conversation> = true;
export const profileFields: NoFieldMissing<OfficialProfile, Profile> = true;
