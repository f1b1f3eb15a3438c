/**
 * Profile operations: `getMyProfile`, `getUserProfile` and `updateMyProfile`. Profiles are read
 * from the server each time; changes made elsewhere arrive as `EVENT.PROFILE_UPDATED`.
 *
 * @packageDocumentation
 */

import { type ChatContext, type ChatResponse, ok } from './context.js';
import { ERROR_CODE, invalidParams } from './errors.js';
import { type Profile, type UpdateMyProfileOptions, profileFromWire, updateRequest } from './profiles.js';

/** The most users one `getUserProfile` reads; the SDK documents that the rest are dropped. */
const MAX_PROFILE_USERS = 100;

/** `getMyProfile`: resolves the logged-in user's `Profile`. */
export async function getMyProfile(context: ChatContext): Promise<ChatResponse<Profile>> {
  const notReady = context.notReadyError('getMyProfile', true);
  if (notReady) throw notReady;
  const me = context.userID();
  const { profileList } = await context.request('getUserProfile', { userIDList: [me] }, { retry: true });
  const wire = profileList.find((profile) => profile.userID === me);
  if (!wire) throw invalidParams(ERROR_CODE.INVALID_OPERATION, 'getMyProfile', `the server has no profile of ${me}`);
  return ok(profileFromWire(wire));
}

/** `getUserProfile`: resolves the `Profile`s of the users that exist, in the order asked. */
export async function getUserProfile(context: ChatContext, options: { userIDList: string[] }): Promise<ChatResponse<Profile[]>> {
  const api = 'getUserProfile';
  const notReady = context.notReadyError(api, true);
  if (notReady) throw notReady;
  if (!options || typeof options !== 'object') throw invalidParams(ERROR_CODE.OPTIONS_IS_EMPTY, api, 'options are required');
  const { userIDList } = options;
  const valid = Array.isArray(userIDList) && userIDList.length > 0 && userIDList.every((userID) => typeof userID === 'string' && userID.length > 0);
  if (!valid) throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'userIDList must be a non-empty array of userIDs');
  const { profileList } = await context.request('getUserProfile', { userIDList: userIDList.slice(0, MAX_PROFILE_USERS) }, { retry: true });
  return ok(profileList.map(profileFromWire));
}

/** `updateMyProfile`: changes the given fields; resolves the updated `Profile`. */
export async function updateMyProfile(context: ChatContext, options: UpdateMyProfileOptions): Promise<ChatResponse<Profile>> {
  const notReady = context.notReadyError('updateMyProfile', true);
  if (notReady) throw notReady;
  const request = updateRequest(options);
  // Setting the same fields twice leaves the same profile, so a retry after a lost answer is safe.
  const wire = await context.request('updateMyProfile', request, { retry: true });
  return ok(profileFromWire(wire));
}
