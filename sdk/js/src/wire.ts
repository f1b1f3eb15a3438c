/**
 * Wire types of Mynah's WebSocket protocol (JSON text frames at `/ws`, see `docs/protocol.md`).
 *
 * Hand-written mirrors of the Rust contract in `crates/proto`; each type names its Rust source.
 * Field names are exactly the serialized (serde) names. Keep this file in step with the crate until
 * the types are generated (for example with ts-rs).
 *
 * @packageDocumentation
 */

/** `crates/proto/src/lib.rs` `PROTOCOL_VERSION`. */
export const PROTOCOL_VERSION = 1;

/** `crates/proto/src/frames.rs` `MAX_FRAME_BYTES`: larger frames close the connection (1009). */
export const MAX_FRAME_BYTES = 64 * 1024;

/** `crates/proto/src/ids.rs` `ConversationType`. */
export type WireConversationType = 'C2C' | 'GROUP';

/** `crates/proto/src/requests.rs` `Platform`. */
export type WirePlatform = 'web' | 'android' | 'ios' | 'windows' | 'mac' | 'linux';

/** `crates/proto/src/objects.rs` `MessagePriority`. */
export type WirePriority = 'High' | 'Normal' | 'Low' | 'Lowest';

/** `crates/proto/src/objects.rs` `GroupType` (serialized names; `Work`/`Meeting` are accepted on input). */
export type WireGroupType = 'Private' | 'Public' | 'ChatRoom' | 'AVChatRoom' | 'Community' | 'Work' | 'Meeting';

/** `crates/proto/src/objects.rs` `JoinOption`. */
export type WireJoinOption = 'FreeAccess' | 'NeedPermission' | 'DisableApply';

/** `crates/proto/src/objects.rs` `MemberRole`. */
export type WireMemberRole = 'Owner' | 'Admin' | 'Member';

/** `crates/proto/src/requests.rs` `JoinStatus`. */
export type WireJoinStatus = 'JoinedSuccess' | 'WaitAdminApproval' | 'AlreadyInGroup';

/** `crates/proto/src/codes.rs` `KickReason`. */
export type WireKickReason = 'multipleAccount' | 'multipleDevice' | 'userSigExpired' | 'restApi';

// ---------------------------------------------------------------------------------------------
// Message content: crates/proto/src/elements.rs
// ---------------------------------------------------------------------------------------------

/** `elements.rs` `TextElem`. */
export interface WireTextElem { Text: string }
/** `elements.rs` `CustomElem`. */
export interface WireCustomElem { Data: string; Desc?: string; Ext?: string; Sound?: string }
/** `elements.rs` `FaceElem`. */
export interface WireFaceElem { Index: number; Data: string }
/** `elements.rs` `LocationElem`. */
export interface WireLocationElem { Desc: string; Latitude: number; Longitude: number }
/** `elements.rs` `ImageInfo`. */
export interface WireImageInfo { Type: number; Size: number; Width: number; Height: number; URL: string }
/** `elements.rs` `ImageElem`. */
export interface WireImageElem { UUID: string; ImageFormat: number; ImageInfoArray: WireImageInfo[] }
/** `elements.rs` `SoundElem`. */
export interface WireSoundElem { Url: string; UUID: string; Size: number; Second: number; Download_Flag: number }
/** `elements.rs` `FileElem`. */
export interface WireFileElem { Url: string; UUID: string; FileSize: number; FileName: string; Download_Flag: number }
/** `elements.rs` `VideoFileElem`. */
export interface WireVideoFileElem {
  VideoUrl: string; VideoUUID: string; VideoSize: number; VideoSecond: number; VideoFormat: string;
  VideoDownloadFlag: number; ThumbUrl: string; ThumbUUID: string; ThumbSize: number; ThumbWidth: number;
  ThumbHeight: number; ThumbFormat: string; ThumbDownloadFlag: number;
}

/** `elements.rs` `MsgElement`: adjacently tagged by `MsgType` / `MsgContent`. */
export type WireMsgElement =
  | { MsgType: 'TIMTextElem'; MsgContent: WireTextElem }
  | { MsgType: 'TIMCustomElem'; MsgContent: WireCustomElem }
  | { MsgType: 'TIMFaceElem'; MsgContent: WireFaceElem }
  | { MsgType: 'TIMLocationElem'; MsgContent: WireLocationElem }
  | { MsgType: 'TIMImageElem'; MsgContent: WireImageElem }
  | { MsgType: 'TIMSoundElem'; MsgContent: WireSoundElem }
  | { MsgType: 'TIMFileElem'; MsgContent: WireFileElem }
  | { MsgType: 'TIMVideoFileElem'; MsgContent: WireVideoFileElem };

// ---------------------------------------------------------------------------------------------
// Objects: crates/proto/src/objects.rs
// ---------------------------------------------------------------------------------------------

/**
 * `objects.rs` `Message`. The Rust struct renames the whole struct to camelCase, so the idempotency
 * key is serialized as `clientMsgId` there, while `docs/protocol.md` and the request say `clientMsgID`.
 * Both spellings are declared; readers use {@link wireClientMsgID}.
 */
export interface WireMessage {
  ID: string;
  conversationType: WireConversationType;
  from: string;
  to: string;
  sequence: number;
  random: number;
  time: number;
  timeMs: number;
  clientMsgID?: string;
  clientMsgId?: string;
  msgBody: WireMsgElement[];
  cloudCustomData?: string;
  priority?: WirePriority;
  needReadReceipt?: boolean;
  isRevoked?: boolean;
  onlineOnly?: boolean;
  excludedFromUnreadCount?: boolean;
  excludedFromLastMessage?: boolean;
  /** The sender's nick at send time (absent from servers before names on messages). */
  nick?: string;
  /** The sender's avatar URL at send time. */
  avatar?: string;
  /** The sender's group name card at send time (`''` in C2C and where none). */
  nameCard?: string;
  /**
   * The conversation's count of unread-counted messages up to and including this one (0 for
   * online-only messages; absent from older servers).
   */
  countedIndex?: number;
}

/** The idempotency key of a wire message, whichever spelling the server used. */
export function wireClientMsgID(message: WireMessage): string {
  return message.clientMsgID ?? message.clientMsgId ?? message.ID.slice(message.from.length + 1);
}

/** `objects.rs` `Conversation`. */
export interface WireConversation {
  conversationID: string;
  type: WireConversationType;
  unreadCount: number;
  lastMessage: WireMessage | null;
  lastSequence: number;
  readSequence: number;
  updatedAtMs: number;
  /** The counted index at the viewer's read mark: `unreadCount` = counted total − this (absent from older servers). */
  readCountedIndex?: number;
  /** The peer's profile in a C2C conversation, null for groups (absent from older servers). */
  userProfile?: WireProfile | null;
  /** Whether the viewer pinned it (absent from older servers). */
  isPinned?: boolean;
  /** The viewer's custom data of it (absent from older servers). */
  customData?: string;
  /** The viewer's marks of it, each `2^n`, ascending (absent from older servers). */
  markList?: number[];
}

/** `objects.rs` `GroupSelfInfo`. */
export interface WireGroupSelfInfo { role: WireMemberRole; joinTime: number; nameCard?: string }

/** `objects.rs` `Group`. */
export interface WireGroup {
  groupID: string;
  type: WireGroupType;
  name: string;
  ownerID: string;
  createTime: number;
  memberCount: number;
  maxMemberNum: number;
  joinOption: WireJoinOption;
  introduction?: string;
  notification?: string;
  avatar?: string;
  nextMessageSeq: number;
  selfInfo: WireGroupSelfInfo | null;
}

/** `objects.rs` `Change` (internally tagged by `kind`). */
export type WireChange =
  | { kind: 'conversationRead'; conversationID: string; readSequence: number; unreadCount: number; readCountedIndex?: number }
  | { kind: 'conversationPinned'; conversationID: string; isPinned: boolean }
  | { kind: 'conversationCustomData'; conversationID: string; customData: string }
  | { kind: 'conversationMarked'; conversationID: string; markList: number[] }
  | { kind: 'groupJoined'; group: WireGroup; readSequence?: number; readCountedIndex?: number }
  | { kind: 'groupLeft'; groupID: string }
  | { kind: 'messageRevoked'; conversationID: string; messageID: string; sequence: number }
  | { kind: 'messageModified'; conversationID: string; messageID: string; sequence: number; message: WireMessage | null }
  | {
      kind: 'groupSystemNotice'; groupID: string; groupName: string; operationType: number; operatorID: string;
      userDefinedField: string; time: number;
    }
  | { kind: 'groupDismissed'; groupID: string; groupName: string; operatorID: string; time: number }
  | { kind: 'profileUpdated'; profile: WireProfile }
  | { kind: 'groupUpdated'; group: WireGroup };

/** `objects.rs` `GROUP_NOTICE_*`: `operationType` of group system notices. */
export const WIRE_GROUP_NOTICE = { KICKED: 4, DISMISSED: 5, CUSTOM: 255 } as const;

// ---------------------------------------------------------------------------------------------
// Profiles: crates/proto/src/profiles.rs
// ---------------------------------------------------------------------------------------------

/** `profiles.rs` `ProfileValue`: a string or an unsigned integer. */
export type WireProfileValue = string | number;
/** `profiles.rs` `ProfileCustomField`: `key` is the whole tag, `Tag_Profile_Custom_{name}`. */
export interface WireProfileCustomField { key: string; value: WireProfileValue }
/** `profiles.rs` `Profile`. */
export interface WireProfile {
  userID: string; nick: string; gender: string; birthday: number; location: string; selfSignature: string;
  allowType: string; language: number; avatar: string; messageSettings: number; adminForbidType: string;
  level: number; role: number; lastUpdatedTime: number; profileCustomField: WireProfileCustomField[];
}
/** `profiles.rs` `GetUserProfileRequest`. */
export interface WireGetUserProfileRequest { userIDList: string[] }
/** `profiles.rs` `GetUserProfileResult`. */
export interface WireGetUserProfileResult { profileList: WireProfile[] }
/** `profiles.rs` `UpdateMyProfileRequest`: absent fields keep their values. */
export interface WireUpdateMyProfileRequest {
  nick?: string; avatar?: string; gender?: string; selfSignature?: string; allowType?: string; birthday?: number;
  location?: string; language?: number; messageSettings?: number; adminForbidType?: string; level?: number;
  role?: number; profileCustomField?: WireProfileCustomField[];
}

/** `objects.rs` `ChangeEntry`. */
export interface WireChangeEntry { position: number; change: WireChange }

// ---------------------------------------------------------------------------------------------
// Requests and results: crates/proto/src/requests.rs
// ---------------------------------------------------------------------------------------------

/** `requests.rs` `LoginRequest`. */
export interface WireLoginRequest {
  sdkAppID: number; userID: string; userSig: string; platform: WirePlatform; protocolVersion: number;
}
/** `requests.rs` `LoginResult`. */
export interface WireLoginResult {
  serverTimeMs: number; position: number; userSigExpireTime: number; sessionID: number;
}
/** `requests.rs` `HeartbeatResult`. */
export interface WireHeartbeatResult { serverTimeMs: number }
/** `requests.rs` `SendMessageRequest`. */
export interface WireSendMessageRequest {
  conversationType: WireConversationType; to: string; msgBody: WireMsgElement[]; clientMsgID: string;
  random: number; cloudCustomData: string; priority: WirePriority; needReadReceipt: boolean;
  onlineUserOnly: boolean; excludedFromUnreadCount: boolean; excludedFromLastMessage: boolean;
}
/** `requests.rs` `SendMessageResult`. */
export interface WireSendMessageResult { message: WireMessage; duplicate: boolean; modified?: boolean }
/** `requests.rs` `GetMessageListRequest`. */
export interface WireGetMessageListRequest {
  conversationID: string; beforeSequence?: number; afterSequence?: number; count?: number;
}
/** `requests.rs` `GetMessageListResult`. */
export interface WireGetMessageListResult { messageList: WireMessage[]; isCompleted: boolean }
/** `requests.rs` `FindMessageRequest`. */
export interface WireFindMessageRequest { messageID: string }
/** `requests.rs` `SetMessageReadRequest`. */
export interface WireSetMessageReadRequest { conversationID: string; sequence?: number }
/** `requests.rs` `PinConversationRequest`. */
export interface WirePinConversationRequest { conversationID: string; isPinned: boolean }
/** `requests.rs` `SetConversationCustomDataRequest`. */
export interface WireSetConversationCustomDataRequest { conversationIDList: string[]; customData: string }
/** `requests.rs` `MarkConversationRequest`. */
export interface WireMarkConversationRequest { conversationIDList: string[]; markType: number; enableMark: boolean }
/** `requests.rs` `ConversationFailure`. */
export interface WireConversationFailure { conversationID: string; code: number; message: string }
/** `requests.rs` `ConversationBatchResult`. */
export interface WireConversationBatchResult { successConversationIDList: string[]; failureConversationIDList: WireConversationFailure[] }
/** `requests.rs` `ConversationRequest`. */
export interface WireConversationRequest { conversationID: string }
/** `requests.rs` `ConversationListResult`. */
export interface WireConversationListResult { conversationList: WireConversation[]; position: number }
/** `requests.rs` `TotalUnreadResult`. */
export interface WireTotalUnreadResult { totalUnreadCount: number }
/** `requests.rs` `SyncRequest`. */
export interface WireSyncRequest { position: number; limit?: number }
/** `requests.rs` `SyncResult`. */
export interface WireSyncResult { changes: WireChangeEntry[]; position: number; hasMore: boolean }
/** `requests.rs` `InitialMember`. */
export interface WireInitialMember { userID: string; role?: WireMemberRole }
/** `requests.rs` `CreateGroupRequest`. */
export interface WireCreateGroupRequest {
  type: WireGroupType; name: string; groupID?: string; memberList: WireInitialMember[];
  introduction: string; notification: string; avatar: string; joinOption?: WireJoinOption; maxMemberNum?: number;
}
/** `requests.rs` `GroupRequest`. */
export interface WireGroupRequest { groupID: string }
/** `requests.rs` `JoinGroupResult`. */
export interface WireJoinGroupResult { status: WireJoinStatus; group: WireGroup }
/** `requests.rs` `GroupListResult`. */
export interface WireGroupListResult { groupList: WireGroup[] }
/** `group_management.rs` `GroupMember`. */
export interface WireGroupMember {
  userID: string; role: WireMemberRole; joinTime: number; nick?: string; avatar?: string; nameCard?: string; muteUntil?: number;
}
/** `group_management.rs` `GetGroupMemberListRequest`. */
export interface WireGetGroupMemberListRequest { groupID: string; role?: WireMemberRole; count?: number; offset?: number }
/** `group_management.rs` `GroupMemberListResult`. */
export interface WireGroupMemberListResult { memberList: WireGroupMember[]; offset: number }
/** `group_management.rs` `GetGroupMemberProfileRequest`. */
export interface WireGetGroupMemberProfileRequest { groupID: string; userIDList: string[] }
/** `group_management.rs` `AddGroupMemberRequest`. */
export interface WireAddGroupMemberRequest { groupID: string; userIDList: string[] }
/** `group_management.rs` `AddGroupMemberResult`. */
export interface WireAddGroupMemberResult {
  successUserIDList: string[]; failureUserIDList: string[]; existedUserIDList: string[]; group: WireGroup;
}
/** `group_management.rs` `DeleteGroupMemberRequest`. */
export interface WireDeleteGroupMemberRequest { groupID: string; userIDList: string[]; reason: string }
/** `group_management.rs` `DeleteGroupMemberResult`. */
export interface WireDeleteGroupMemberResult { userIDList: string[]; group: WireGroup }
/** `group_management.rs` `UpdateGroupProfileRequest`: absent fields keep their values. */
export interface WireUpdateGroupProfileRequest {
  groupID: string; name?: string; introduction?: string; notification?: string; avatar?: string; joinOption?: WireJoinOption;
}
/** `group_management.rs` `SetGroupMemberRoleRequest`. */
export interface WireSetGroupMemberRoleRequest { groupID: string; userID: string; role: WireMemberRole }
/** `group_management.rs` `GroupMemberResult`. */
export interface WireGroupMemberResult { group: WireGroup; member: WireGroupMember }
/** `group_management.rs` `SetGroupMemberMuteTimeRequest`: seconds from now; 0 unmutes. */
export interface WireSetGroupMemberMuteTimeRequest { groupID: string; userID: string; muteTime: number }
/** `group_management.rs` `SetGroupMemberNameCardRequest`: the asker's own card when `userID` is absent. */
export interface WireSetGroupMemberNameCardRequest { groupID: string; userID?: string; nameCard: string }
/** `group_management.rs` `ChangeGroupOwnerRequest`. */
export interface WireChangeGroupOwnerRequest { groupID: string; newOwnerID: string }
/** `requests.rs` `Kicked`. */
export interface WireKicked { reason: WireKickReason }
/** `requests.rs` `Empty`. */
export type WireEmpty = Record<string, never>;

/** `requests.rs` `Request`: every operation with its request and result body. */
export interface WireOperations {
  login: [WireLoginRequest, WireLoginResult];
  logout: [WireEmpty, WireEmpty];
  heartbeat: [WireEmpty, WireHeartbeatResult];
  sendMessage: [WireSendMessageRequest, WireSendMessageResult];
  getMessageList: [WireGetMessageListRequest, WireGetMessageListResult];
  findMessage: [WireFindMessageRequest, WireMessage];
  setMessageRead: [WireSetMessageReadRequest, WireConversation];
  pinConversation: [WirePinConversationRequest, WireConversation];
  setConversationCustomData: [WireSetConversationCustomDataRequest, WireConversationBatchResult];
  markConversation: [WireMarkConversationRequest, WireConversationBatchResult];
  getConversationList: [WireEmpty, WireConversationListResult];
  getConversation: [WireConversationRequest, WireConversation];
  getTotalUnreadMessageCount: [WireEmpty, WireTotalUnreadResult];
  sync: [WireSyncRequest, WireSyncResult];
  createGroup: [WireCreateGroupRequest, WireGroup];
  joinGroup: [WireGroupRequest, WireJoinGroupResult];
  quitGroup: [WireGroupRequest, WireEmpty];
  getGroupList: [WireEmpty, WireGroupListResult];
  getGroupProfile: [WireGroupRequest, WireGroup];
  dismissGroup: [WireGroupRequest, WireEmpty];
  getGroupMemberList: [WireGetGroupMemberListRequest, WireGroupMemberListResult];
  getGroupMemberProfile: [WireGetGroupMemberProfileRequest, WireGroupMemberListResult];
  addGroupMember: [WireAddGroupMemberRequest, WireAddGroupMemberResult];
  deleteGroupMember: [WireDeleteGroupMemberRequest, WireDeleteGroupMemberResult];
  updateGroupProfile: [WireUpdateGroupProfileRequest, WireGroup];
  setGroupMemberRole: [WireSetGroupMemberRoleRequest, WireGroupMemberResult];
  changeGroupOwner: [WireChangeGroupOwnerRequest, WireGroup];
  setGroupMemberMuteTime: [WireSetGroupMemberMuteTimeRequest, WireGroupMemberResult];
  setGroupMemberNameCard: [WireSetGroupMemberNameCardRequest, WireGroupMemberResult];
  getUserProfile: [WireGetUserProfileRequest, WireGetUserProfileResult];
  updateMyProfile: [WireUpdateMyProfileRequest, WireProfile];
}

/** An operation name (`op`). */
export type WireOp = keyof WireOperations;

// ---------------------------------------------------------------------------------------------
// Frames: crates/proto/src/frames.rs
// ---------------------------------------------------------------------------------------------

/** `frames.rs` `RequestFrame`. */
export interface WireRequestFrame<Op extends WireOp = WireOp> { id: number; op: Op; data: WireOperations[Op][0] }

/** `frames.rs` `Response<T>`: `code` 0 carries `data`, any other code carries `message`. */
export interface WireResponseFrame { id: number; code: number; message?: string; data?: unknown }

/** `frames.rs` `Push`. Unknown push kinds are ignored by readers. */
export type WirePushFrame =
  | { push: 'message'; data: WireMessage }
  | { push: 'change'; data: WireChangeEntry }
  | { push: 'kicked'; data: WireKicked };

/** `frames.rs` `ServerFrame`. */
export type WireServerFrame = WireResponseFrame | WirePushFrame;
