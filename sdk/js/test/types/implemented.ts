/**
 * The official `ChatSDK` methods Mynah implements. The type test (`official-compat.ts`) proves our
 * signatures are assignable to the official ones for exactly these; the conformance suite proves the
 * list matches the methods our instances have; `npm run compat` reports the rest as missing.
 */
export const IMPLEMENTED_METHODS = [
  'login',
  'logout',
  'destroy',
  'isReady',
  'getLoginUser',
  'getServerTime',
  'on',
  'off',
  'setLogLevel',
  'registerPlugin',
  'createTextMessage',
  'createTextAtMessage',
  'createCustomMessage',
  'createFaceMessage',
  'createLocationMessage',
  'sendMessage',
  'resendMessage',
  'getMessageList',
  'findMessage',
  'setMessageRead',
  'getConversationList',
  'getConversationProfile',
  'getTotalUnreadMessageCount',
  'createGroup',
  'joinGroup',
  'quitGroup',
  'dismissGroup',
  'getGroupMemberList',
  'getGroupMemberProfile',
  'addGroupMember',
  'deleteGroupMember',
  'updateGroupProfile',
  'changeGroupOwner',
  'setGroupMemberRole',
  'setGroupMemberMuteTime',
  'setGroupMemberNameCard',
  'getGroupList',
  'getGroupProfile',
  'getMyProfile',
  'getUserProfile',
  'updateMyProfile',
] as const;

/** The implemented method names as a type. */
export type ImplementedMethod = (typeof IMPLEMENTED_METHODS)[number];
