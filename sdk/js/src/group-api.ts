/**
 * Group operations: `createGroup`, `joinGroup`, `quitGroup`, `dismissGroup`, `updateGroupProfile`,
 * `changeGroupOwner`, `getGroupList` and `getGroupProfile`.
 *
 * @packageDocumentation
 */

import { TYPES, type TypesValue } from './constants.js';
import type { WireJoinOption, WireUpdateGroupProfileRequest } from './wire.js';
import { type ChatContext, type ChatResponse, ok } from './context.js';
import { ERROR_CODE, invalidParams } from './errors.js';
import { type CreateGroupOptions, Group, applyWireGroup, createGroupRequest } from './groups.js';

function checkGroupID(api: string, groupID: unknown): string {
  if (typeof groupID !== 'string' || groupID.length === 0) throw invalidParams(ERROR_CODE.ILLEGAL_GRP_ID, api, 'groupID must be a non-empty string');
  return groupID;
}

/** A group from the joined list when there, otherwise a detached instance. */
function groupInstance(context: ChatContext, wire: Parameters<typeof applyWireGroup>[1]): Group {
  return context.groups.get(wire.groupID) ?? applyWireGroup(new Group(), wire);
}

/** `createGroup`: resolves `{group, overLimitUserIDList}`. */
export async function createGroup(
  context: ChatContext,
  options: CreateGroupOptions,
): Promise<ChatResponse<{ group: Group; overLimitUserIDList: string[] }>> {
  const notReady = context.notReadyError('createGroup');
  if (notReady) throw notReady;
  const request = createGroupRequest(options);
  // Not retried on a new connection: without a custom groupID a resend would create a second group.
  const wire = await context.request('createGroup', request, { retry: false });
  await context.sync.groupJoinedHere(wire);
  return ok({ group: groupInstance(context, wire), overLimitUserIDList: [] });
}

/** `joinGroup`: resolves `{status, group}` with `status` one of `TYPES.JOIN_STATUS_*`. */
export async function joinGroup(
  context: ChatContext,
  options: { groupID: string; applyMessage?: string; type?: TypesValue },
): Promise<ChatResponse<{ status: string; group: Group }>> {
  const api = 'joinGroup';
  const notLoggedIn = context.notReadyError(api, true);
  if (notLoggedIn) throw notLoggedIn;
  if (!options || typeof options !== 'object') throw invalidParams(ERROR_CODE.OPTIONS_IS_EMPTY, api, 'options are required');
  const groupID = checkGroupID(api, options.groupID);
  const result = await context.request('joinGroup', { groupID }, { retry: false });
  if (result.status !== 'WaitAdminApproval') await context.sync.groupJoinedHere(result.group);
  return ok({ status: result.status, group: groupInstance(context, result.group) });
}

/** `quitGroup`: resolves `{groupID}`. */
export async function quitGroup(context: ChatContext, groupID: string): Promise<ChatResponse<{ groupID: string }>> {
  const api = 'quitGroup';
  const notLoggedIn = context.notReadyError(api, true);
  if (notLoggedIn) throw notLoggedIn;
  checkGroupID(api, groupID);
  await context.request('quitGroup', { groupID }, { retry: false });
  await context.sync.groupLeftHere(groupID);
  return ok({ groupID });
}

/** `dismissGroup`: resolves `{groupID}`. Only the owner, and never of a work group (the server's rule). */
export async function dismissGroup(context: ChatContext, groupID: string): Promise<ChatResponse<{ groupID: string }>> {
  const api = 'dismissGroup';
  const notReady = context.notReadyError(api);
  if (notReady) throw notReady;
  checkGroupID(api, groupID);
  // Not retried: a resend after the dismissal committed would answer that the group does not exist.
  await context.request('dismissGroup', { groupID }, { retry: false });
  await context.sync.groupLeftHere(groupID);
  return ok({ groupID });
}

/** The official `updateGroupProfile` options. */
export interface UpdateGroupProfileOptions {
  groupID: string;
  name?: string;
  avatar?: string;
  introduction?: string;
  notification?: string;
  /** Not served yet: `true` is refused (2905) rather than silently ignored. */
  muteAllMembers?: boolean;
  /** `TYPES.JOIN_OPTIONS_*`; Public groups only. */
  joinOption?: TypesValue;
  /** Not served yet: refused (2905) when given. */
  inviteOption?: TypesValue;
  /** Not served yet: refused (2905) when not empty. */
  groupCustomField?: Array<{ key: string; value: string }>;
}

const JOIN_OPTIONS = new Set<string>([TYPES.JOIN_OPTIONS_FREE_ACCESS, TYPES.JOIN_OPTIONS_NEED_PERMISSION, TYPES.JOIN_OPTIONS_DISABLE_APPLY]);

/** `updateGroupProfile`: resolves `{group}`; every member learns it (`GROUP_LIST_UPDATED`). */
export async function updateGroupProfile(context: ChatContext, options: UpdateGroupProfileOptions): Promise<ChatResponse<{ group: Group }>> {
  const api = 'updateGroupProfile';
  const notReady = context.notReadyError(api);
  if (notReady) throw notReady;
  if (!options || typeof options !== 'object') throw invalidParams(ERROR_CODE.OPTIONS_IS_EMPTY, api, 'options are required');
  const groupID = checkGroupID(api, options.groupID);
  // Options that are not served are refused rather than dropped: a caller muting everyone must
  // not believe it did.
  if (options.muteAllMembers === true) throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'muteAllMembers is not served yet');
  if (options.inviteOption !== undefined) throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'inviteOption is not served yet');
  if (options.groupCustomField !== undefined && options.groupCustomField.length > 0) {
    throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'groupCustomField is not served yet');
  }
  const request: WireUpdateGroupProfileRequest = { groupID };
  for (const field of ['name', 'avatar', 'introduction', 'notification'] as const) {
    const value = options[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, `${field} must be a string`);
    request[field] = value;
  }
  if (options.joinOption !== undefined) {
    if (!JOIN_OPTIONS.has(options.joinOption as string)) throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, `unknown joinOption ${String(options.joinOption)}`);
    request.joinOption = options.joinOption as WireJoinOption;
  }
  const wire = await context.request('updateGroupProfile', request, { retry: true });
  return ok({ group: refreshed(context, wire) });
}

/** `changeGroupOwner`: resolves `{group}`. The owner only; the old owner becomes an ordinary member. */
export async function changeGroupOwner(context: ChatContext, options: { groupID: string; newOwnerID: string }): Promise<ChatResponse<{ group: Group }>> {
  const api = 'changeGroupOwner';
  const notReady = context.notReadyError(api);
  if (notReady) throw notReady;
  if (!options || typeof options !== 'object') throw invalidParams(ERROR_CODE.OPTIONS_IS_EMPTY, api, 'options are required');
  const groupID = checkGroupID(api, options.groupID);
  if (typeof options.newOwnerID !== 'string' || options.newOwnerID.length === 0) {
    throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'newOwnerID must be a non-empty string');
  }
  // Not retried: after a transfer that committed, a resend is no longer the owner's.
  const wire = await context.request('changeGroupOwner', { groupID, newOwnerID: options.newOwnerID }, { retry: false });
  return ok({ group: refreshed(context, wire) });
}

/** The joined group's instance refreshed from server data, or a detached one. */
function refreshed(context: ChatContext, wire: Parameters<typeof applyWireGroup>[1]): Group {
  const known = context.groups.get(wire.groupID);
  return known ? applyWireGroup(known, wire) : applyWireGroup(new Group(), wire);
}

/** `getGroupList`: the joined groups from the server (live-stream rooms left out, as documented). */
export async function getGroupList(context: ChatContext): Promise<ChatResponse<{ groupList: Group[] }>> {
  const notReady = context.notReadyError('getGroupList');
  if (notReady) throw notReady;
  const { groupList } = await context.request('getGroupList', {}, { retry: true });
  for (const wire of groupList) await context.sync.groupJoinedHere(wire);
  const joined = new Set(groupList.map((wire) => wire.groupID));
  for (const group of context.groups.list()) if (!joined.has(group.groupID)) await context.sync.groupLeftHere(group.groupID);
  return ok({ groupList: context.groups.list() });
}

/** `getGroupProfile`: resolves `{group}`. */
export async function getGroupProfile(
  context: ChatContext,
  options: { groupID: string; groupCustomFieldFilter?: string[] },
): Promise<ChatResponse<{ group: Group }>> {
  const api = 'getGroupProfile';
  const notReady = context.notReadyError(api);
  if (notReady) throw notReady;
  if (!options || typeof options !== 'object') throw invalidParams(ERROR_CODE.OPTIONS_IS_EMPTY, api, 'options are required');
  const groupID = checkGroupID(api, options.groupID);
  const wire = await context.request('getGroupProfile', { groupID }, { retry: true });
  const known = context.groups.get(groupID);
  const group = known ? applyWireGroup(known, wire) : applyWireGroup(new Group(), wire);
  return ok({ group });
}
