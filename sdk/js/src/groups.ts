/**
 * Groups: the `Group` object, the joined-group list, and the translation of `createGroup` options
 * to the wire request.
 *
 * @packageDocumentation
 */

import { TYPES, type TypesValue } from './constants.js';
import { LastMessage } from './conversations.js';
import { ERROR_CODE, invalidParams } from './errors.js';
import type { WireCreateGroupRequest, WireGroup, WireGroupType, WireInitialMember, WireJoinOption, WireMemberRole } from './wire.js';

/** The logged-in user's membership in a group (`group.selfInfo`). */
export interface GroupSelfInfo {
  /** `TYPES.GRP_MBR_ROLE_*`, `''` when not a member. */
  role: string;
  /** `TYPES.MSG_REMIND_*`. */
  messageRemindType: string;
  /** Join time, unix seconds (0 when not a member). */
  joinTime: number;
  /** The user's name card in the group (`''`: none). */
  nameCard: string;
}

/** A group, with the official field names. */
export class Group {
  /** The group ID. */
  groupID = '';
  /** Group name. */
  name = '';
  /** Avatar URL. */
  avatar = '';
  /** `TYPES.GRP_*`. */
  type = '';
  /** Introduction. */
  introduction = '';
  /** Notice. */
  notification = '';
  /** Owner's userID. */
  ownerID = '';
  /** Creation time, unix seconds. */
  createTime = 0;
  /** Profile version (not served yet: 0). */
  infoSequence = 0;
  /** Time of the last profile change (not served yet: 0). */
  lastInfoTime = 0;
  /** The logged-in user's membership. */
  selfInfo: GroupSelfInfo = { role: '', messageRemindType: '', joinTime: 0, nameCard: '' };
  /** The group conversation's last message (empty when the conversation is not in the list). */
  lastMessage: LastMessage = new LastMessage();
  /** The sequence the next message will get. */
  nextMessageSeq = 0;
  /** Number of members. */
  memberCount = 0;
  /** Member cap (0 = unlimited). */
  maxMemberCount = 0;
  /** Whether everyone is muted (not served yet). */
  muteAllMembers = false;
  /** `TYPES.JOIN_OPTIONS_*`. */
  joinOption = '';
  /** Group custom fields (not served yet). */
  groupCustomField: Array<{ key: string; value: string }> = [];
  /** Whether the community supports topics (not served yet). */
  isSupportTopic = false;
}

/** Builds or refreshes a {@link Group} from server data. */
export function applyWireGroup(target: Group, wire: WireGroup): Group {
  target.groupID = wire.groupID;
  target.name = wire.name;
  target.avatar = wire.avatar ?? '';
  target.type = normalizeGroupType(wire.type);
  target.introduction = wire.introduction ?? '';
  target.notification = wire.notification ?? '';
  target.ownerID = wire.ownerID;
  target.createTime = wire.createTime;
  target.nextMessageSeq = wire.nextMessageSeq;
  target.memberCount = wire.memberCount;
  target.maxMemberCount = wire.maxMemberNum;
  target.joinOption = wire.joinOption;
  target.selfInfo = wire.selfInfo
    ? { role: wire.selfInfo.role, messageRemindType: TYPES.MSG_REMIND_ACPT_AND_NOTE, joinTime: wire.selfInfo.joinTime, nameCard: wire.selfInfo.nameCard ?? '' }
    : { role: '', messageRemindType: '', joinTime: 0, nameCard: '' };
  return target;
}

/** The SDK's group type for a wire type (the REST spellings `Work`/`Meeting` map to `Private`/`ChatRoom`). */
function normalizeGroupType(type: WireGroupType): string {
  if (type === 'Work') return TYPES.GRP_WORK;
  if (type === 'Meeting') return TYPES.GRP_MEETING;
  return type;
}

const GROUP_TYPES = new Set<TypesValue>([TYPES.GRP_WORK, TYPES.GRP_PUBLIC, TYPES.GRP_MEETING, TYPES.GRP_AVCHATROOM, TYPES.GRP_COMMUNITY]);
const JOIN_OPTIONS = new Set<TypesValue>([TYPES.JOIN_OPTIONS_FREE_ACCESS, TYPES.JOIN_OPTIONS_NEED_PERMISSION, TYPES.JOIN_OPTIONS_DISABLE_APPLY]);

/** The official `createGroup` options Mynah understands. */
export interface CreateGroupOptions {
  /** Group name (required). */
  name: string;
  /** `TYPES.GRP_*`; default `GRP_WORK`. */
  type?: TypesValue;
  /** A custom group ID; the server makes one when absent. */
  groupID?: string;
  introduction?: string;
  notification?: string;
  avatar?: string;
  maxMemberNum?: number;
  /** `TYPES.JOIN_OPTIONS_*`; leave unset for work, meeting and live groups. */
  joinOption?: TypesValue;
  /** Initial members: `[{userID, role?}]`, role `'Admin'` or absent. */
  memberList?: Array<{ userID: string; role?: string }>;
  /** Accepted for compatibility; not served yet. */
  groupCustomField?: Array<{ key: string; value: string }>;
  /** Accepted for compatibility; not served yet. */
  isSupportTopic?: boolean;
}

/** Checks `createGroup` options and builds the wire request. Throws a `ChatError` on invalid options. */
export function createGroupRequest(options: CreateGroupOptions): WireCreateGroupRequest {
  const api = 'createGroup';
  if (options === null || typeof options !== 'object') throw invalidParams(ERROR_CODE.OPTIONS_IS_EMPTY, api, 'options are required');
  if (typeof options.name !== 'string' || options.name.length === 0) throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'name must be a non-empty string');
  const type = options.type ?? TYPES.GRP_WORK;
  if (!GROUP_TYPES.has(type)) throw invalidParams(ERROR_CODE.ILLEGAL_GRP_TYPE, api, `unknown group type ${String(type)}`);
  if (options.groupID !== undefined && (typeof options.groupID !== 'string' || options.groupID.length === 0)) {
    throw invalidParams(ERROR_CODE.ILLEGAL_GRP_ID, api, 'groupID must be a non-empty string');
  }
  if (options.joinOption !== undefined && !JOIN_OPTIONS.has(options.joinOption)) {
    throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, `unknown joinOption ${String(options.joinOption)}`);
  }
  const memberList: WireInitialMember[] = [];
  for (const member of options.memberList ?? []) {
    if (!member || typeof member.userID !== 'string' || member.userID.length === 0) {
      throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'memberList entries need a userID');
    }
    const entry: WireInitialMember = { userID: member.userID };
    if (member.role !== undefined) entry.role = member.role as WireMemberRole;
    memberList.push(entry);
  }
  const request: WireCreateGroupRequest = {
    type: type as WireGroupType,
    name: options.name,
    memberList,
    introduction: options.introduction ?? '',
    notification: options.notification ?? '',
    avatar: options.avatar ?? '',
  };
  if (options.groupID !== undefined) request.groupID = options.groupID;
  if (options.joinOption !== undefined) request.joinOption = options.joinOption as WireJoinOption;
  if (options.maxMemberNum !== undefined) request.maxMemberNum = options.maxMemberNum;
  return request;
}

/** The joined-group list. One `Group` instance per group ID, updated in place. */
export class GroupStore {
  private readonly groups = new Map<string, Group>();

  /** A group by ID, when known. */
  get(groupID: string): Group | undefined {
    return this.groups.get(groupID);
  }

  /** Inserts or refreshes a group. Returns the instance. */
  upsert(wire: WireGroup): Group {
    const existing = this.groups.get(wire.groupID);
    const group = applyWireGroup(existing ?? new Group(), wire);
    if (!existing) this.groups.set(wire.groupID, group);
    return group;
  }

  /** Removes a group; returns whether it was there. */
  remove(groupID: string): boolean {
    return this.groups.delete(groupID);
  }

  /** Replaces the whole list (returns the instances in server order). */
  replaceAll(list: WireGroup[]): Group[] {
    const keep = new Set(list.map((wire) => wire.groupID));
    for (const groupID of [...this.groups.keys()]) if (!keep.has(groupID)) this.groups.delete(groupID);
    return list.map((wire) => this.upsert(wire));
  }

  /** Groups for `getGroupList` and `GROUP_LIST_UPDATED`: live-stream rooms are left out, as documented. */
  list(): Group[] {
    return [...this.groups.values()].filter((group) => group.type !== TYPES.GRP_AVCHATROOM);
  }

  /** Forgets everything (logout). */
  clear(): void {
    this.groups.clear();
  }
}
