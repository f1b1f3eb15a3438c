/**
 * Group members: the `GroupMember` object and `getGroupMemberList`, `getGroupMemberProfile`,
 * `addGroupMember`, `deleteGroupMember`, `setGroupMemberRole`, `setGroupMemberMuteTime` and
 * `setGroupMemberNameCard`. Who may do what (per group type and role) is the
 * server's rule; its refusals arrive with Tencent's codes.
 *
 * @packageDocumentation
 */

import { TYPES, type TypesValue } from './constants.js';
import { type ChatContext, type ChatResponse, ok } from './context.js';
import { ERROR_CODE, invalidParams } from './errors.js';
import { Group, applyWireGroup } from './groups.js';
import type { WireGroup, WireGroupMember, WireMemberRole } from './wire.js';

/** A member of a group, with the official field names. */
export interface GroupMember {
  /** The member's userID. */
  userID: string;
  /** Profile avatar URL. */
  avatar: string;
  /** Profile nick. */
  nick: string;
  /** `TYPES.GRP_MBR_ROLE_*`. */
  role: string;
  /** Join time, unix seconds. */
  joinTime: number;
  /** Name card in the group (`''`: none). */
  nameCard: string;
  /** Unix seconds until which the member is muted (0 or past: not muted). */
  muteUntil: number;
  /** Member custom fields (not served yet: empty). */
  memberCustomField: Array<{ key: string; value: string }>;
}

/** The page size of `getGroupMemberList` when `count` is absent, and its cap (the official SDK's). */
export const MEMBER_PAGE_SIZE = 15;
export const MEMBER_PAGE_MAX = 100;

const ROLES = new Set<string>([TYPES.GRP_MBR_ROLE_OWNER, TYPES.GRP_MBR_ROLE_ADMIN, TYPES.GRP_MBR_ROLE_MEMBER]);

function memberFromWire(wire: WireGroupMember): GroupMember {
  return {
    userID: wire.userID,
    avatar: wire.avatar ?? '',
    nick: wire.nick ?? '',
    role: wire.role,
    joinTime: wire.joinTime,
    nameCard: wire.nameCard ?? '',
    muteUntil: wire.muteUntil ?? 0,
    memberCustomField: [],
  };
}

function checkOptions(api: string, options: unknown): asserts options is { groupID: unknown } {
  if (!options || typeof options !== 'object') throw invalidParams(ERROR_CODE.OPTIONS_IS_EMPTY, api, 'options are required');
}

function checkGroupID(api: string, groupID: unknown): string {
  if (typeof groupID !== 'string' || groupID.length === 0) throw invalidParams(ERROR_CODE.ILLEGAL_GRP_ID, api, 'groupID must be a non-empty string');
  return groupID;
}

function checkUserIDList(api: string, list: unknown): string[] {
  if (!Array.isArray(list) || list.length === 0 || list.some((userID) => typeof userID !== 'string' || userID.length === 0)) {
    throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'userIDList must be a non-empty array of userIDs');
  }
  return list as string[];
}

function notReady(context: ChatContext, api: string): void {
  const error = context.notReadyError(api);
  if (error) throw error;
}

/** The joined group's instance refreshed from `wire`, or a detached one. */
function refreshedGroup(context: ChatContext, wire: WireGroup): Group {
  const known = context.groups.get(wire.groupID);
  return known ? applyWireGroup(known, wire) : applyWireGroup(new Group(), wire);
}

/** `getGroupMemberList`: resolves `{memberList, offset}`; `offset` 0 means the list is complete. */
export async function getGroupMemberList(
  context: ChatContext,
  options: { groupID: string; role?: string; count?: number; offset?: number | string; filter?: number },
): Promise<ChatResponse<{ memberList: GroupMember[]; offset: number }>> {
  const api = 'getGroupMemberList';
  notReady(context, api);
  checkOptions(api, options);
  const groupID = checkGroupID(api, options.groupID);
  if (options.role !== undefined && !ROLES.has(options.role)) throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, `unknown role ${String(options.role)}`);
  const count = options.count === undefined ? MEMBER_PAGE_SIZE : Number(options.count);
  const offset = options.offset === undefined ? 0 : Number(options.offset);
  if (!Number.isInteger(count) || count < 1) throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'count must be a positive integer');
  if (!Number.isInteger(offset) || offset < 0) throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'offset must be a non-negative integer');
  // Larger pages are served as 100, as documented (not an error).
  const request = { groupID, count: Math.min(count, MEMBER_PAGE_MAX), offset, ...(options.role ? { role: options.role as WireMemberRole } : {}) };
  const result = await context.request('getGroupMemberList', request, { retry: true });
  return ok({ memberList: result.memberList.map(memberFromWire), offset: result.offset });
}

/** `getGroupMemberProfile`: resolves `{memberList}` (the first 50 userIDs are looked up, as documented). */
export async function getGroupMemberProfile(
  context: ChatContext,
  options: { groupID: string; userIDList: string[]; memberCustomFieldFilter?: string[] },
): Promise<ChatResponse<{ memberList: GroupMember[] }>> {
  const api = 'getGroupMemberProfile';
  notReady(context, api);
  checkOptions(api, options);
  const groupID = checkGroupID(api, options.groupID);
  const userIDList = checkUserIDList(api, options.userIDList).slice(0, 50);
  const result = await context.request('getGroupMemberProfile', { groupID, userIDList }, { retry: true });
  return ok({ memberList: result.memberList.map(memberFromWire) });
}

/** `addGroupMember`: resolves `{successUserIDList, failureUserIDList, existedUserIDList, overLimitUserIDList, group}`. */
export async function addGroupMember(
  context: ChatContext,
  options: { groupID: string; userIDList: string[] },
): Promise<
  ChatResponse<{ successUserIDList: string[]; failureUserIDList: string[]; existedUserIDList: string[]; overLimitUserIDList: string[]; group: Group }>
> {
  const api = 'addGroupMember';
  notReady(context, api);
  checkOptions(api, options);
  const groupID = checkGroupID(api, options.groupID);
  const userIDList = checkUserIDList(api, options.userIDList);
  // Adding is idempotent (members already in are reported as existing), so a resend is safe.
  const result = await context.request('addGroupMember', { groupID, userIDList }, { retry: true });
  return ok({
    successUserIDList: result.successUserIDList,
    failureUserIDList: result.failureUserIDList,
    existedUserIDList: result.existedUserIDList,
    overLimitUserIDList: [],
    group: refreshedGroup(context, result.group),
  });
}

/** `deleteGroupMember`: resolves `{group, userIDList}` (the members removed). */
export async function deleteGroupMember(
  context: ChatContext,
  options: { groupID: string; userIDList: string[]; reason?: string; duration?: number },
): Promise<ChatResponse<{ group: Group; userIDList: string[] }>> {
  const api = 'deleteGroupMember';
  notReady(context, api);
  checkOptions(api, options);
  const groupID = checkGroupID(api, options.groupID);
  const userIDList = checkUserIDList(api, options.userIDList);
  if (options.reason !== undefined && typeof options.reason !== 'string') throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'reason must be a string');
  // Not retried: a resend after a removal that committed would report nobody removed.
  const result = await context.request('deleteGroupMember', { groupID, userIDList, reason: options.reason ?? '' }, { retry: false });
  return ok({ group: refreshedGroup(context, result.group), userIDList: result.userIDList });
}

/** `setGroupMemberRole`: resolves `{group, member}`. The owner only; not in work groups or live rooms (2682). */
export async function setGroupMemberRole(
  context: ChatContext,
  options: { groupID: string; userID: string; role: TypesValue },
): Promise<ChatResponse<{ group: Group; member: GroupMember }>> {
  const api = 'setGroupMemberRole';
  notReady(context, api);
  checkOptions(api, options);
  const groupID = checkGroupID(api, options.groupID);
  if (typeof options.userID !== 'string' || options.userID.length === 0) throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'userID must be a non-empty string');
  if (options.role !== TYPES.GRP_MBR_ROLE_ADMIN && options.role !== TYPES.GRP_MBR_ROLE_MEMBER) {
    throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, `role must be GRP_MBR_ROLE_ADMIN or GRP_MBR_ROLE_MEMBER, not ${String(options.role)}`);
  }
  // Setting a role is idempotent, so a resend is safe.
  const result = await context.request('setGroupMemberRole', { groupID, userID: options.userID, role: options.role as WireMemberRole }, { retry: true });
  return ok({ group: refreshedGroup(context, result.group), member: memberFromWire(result.member) });
}

/** `setGroupMemberMuteTime`: resolves `{group, member}`. `muteTime` seconds from now, 0 unmutes; a muted member's sends fail with 10017. */
export async function setGroupMemberMuteTime(
  context: ChatContext,
  options: { groupID: string; userID: string; muteTime: number },
): Promise<ChatResponse<{ group: Group; member: GroupMember }>> {
  const api = 'setGroupMemberMuteTime';
  notReady(context, api);
  checkOptions(api, options);
  const groupID = checkGroupID(api, options.groupID);
  if (typeof options.userID !== 'string' || options.userID.length === 0) throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'userID must be a non-empty string');
  const muteTime = options.muteTime;
  if (typeof muteTime !== 'number' || !Number.isInteger(muteTime) || muteTime < 0 || muteTime > 0xffff_ffff) {
    throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'muteTime must be a whole number of seconds (0 unmutes)');
  }
  // Not retried: a resend after the mute committed would restart its clock.
  const result = await context.request('setGroupMemberMuteTime', { groupID, userID: options.userID, muteTime }, { retry: false });
  return ok({ group: refreshedGroup(context, result.group), member: memberFromWire(result.member) });
}

/** `setGroupMemberNameCard`: resolves `{group, member}`; `userID` defaults to oneself. Later messages of the member carry the card (`message.nameCard`). */
export async function setGroupMemberNameCard(
  context: ChatContext,
  options: { groupID: string; userID?: string; nameCard: string },
): Promise<ChatResponse<{ group: Group; member: GroupMember }>> {
  const api = 'setGroupMemberNameCard';
  notReady(context, api);
  checkOptions(api, options);
  const groupID = checkGroupID(api, options.groupID);
  if (typeof options.nameCard !== 'string') throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'nameCard must be a string');
  if (options.userID !== undefined && (typeof options.userID !== 'string' || options.userID.length === 0)) {
    throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'userID must be a non-empty string when given');
  }
  const request = { groupID, nameCard: options.nameCard, ...(options.userID !== undefined ? { userID: options.userID } : {}) };
  // Setting a card is idempotent, so a resend is safe.
  const result = await context.request('setGroupMemberNameCard', request, { retry: true });
  return ok({ group: refreshedGroup(context, result.group), member: memberFromWire(result.member) });
}
