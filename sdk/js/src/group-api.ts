/**
 * Group operations: `createGroup`, `joinGroup`, `quitGroup`, `dismissGroup`, `getGroupList` and
 * `getGroupProfile`.
 *
 * @packageDocumentation
 */

import type { TypesValue } from './constants.js';
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
