/**
 * User profiles: the `Profile` object with the official field names, built from the server's
 * profile, and the `updateMyProfile` options turned into the wire request.
 *
 * @packageDocumentation
 */

import { TYPES, type TypesValue } from './constants.js';
import { ERROR_CODE, invalidParams } from './errors.js';
import type { WireProfile, WireProfileCustomField, WireUpdateMyProfileRequest } from './wire.js';

/** A user's profile (the official `Profile`). Unset fields have their documented defaults. */
export class Profile {
  /** The user's ID. */
  userID = '';
  /** Nickname (at most 500 bytes). */
  nick = '';
  /** `TYPES.GENDER_*` (typed `any`: the official declaration uses its `TYPES` enum). */
  gender: any = TYPES.GENDER_UNKNOWN;
  /** Birthday, a uint32 such as 20000101. */
  birthday = 0;
  /** Location (at most 16 bytes). */
  location = '';
  /** Status line (at most 500 bytes). */
  selfSignature = '';
  /** `TYPES.ALLOW_TYPE_*`: how friend requests are handled (typed `any`, see `gender`). */
  allowType: any = TYPES.ALLOW_TYPE_NEED_CONFIRM;
  /** Language, a uint32. */
  language = 0;
  /** Avatar URL (at most 500 bytes). */
  avatar = '';
  /** Message settings flags (bit 0: block messages). */
  messageSettings = 0;
  /** `TYPES.FORBID_TYPE_*` (typed `any`, see `gender`). */
  adminForbidType: any = TYPES.FORBID_TYPE_NONE;
  /** Level, a uint32. */
  level = 0;
  /** Role, a uint32. */
  role = 0;
  /** When the profile last changed, unix seconds (0 when never set). */
  lastUpdatedNumber = 0;
  /** App-defined fields: `{key: 'Tag_Profile_Custom_{name}', value}`. */
  profileCustomField: Array<{ key: string; value: string | number }> = [];
}

/** A profile from the server's wire form. */
export function profileFromWire(wire: WireProfile): Profile {
  const profile = new Profile();
  profile.userID = wire.userID;
  profile.nick = wire.nick;
  profile.gender = wire.gender;
  profile.birthday = wire.birthday;
  profile.location = wire.location;
  profile.selfSignature = wire.selfSignature;
  profile.allowType = wire.allowType;
  profile.language = wire.language;
  profile.avatar = wire.avatar;
  profile.messageSettings = wire.messageSettings;
  profile.adminForbidType = wire.adminForbidType;
  profile.level = wire.level;
  profile.role = wire.role;
  profile.lastUpdatedNumber = wire.lastUpdatedTime;
  profile.profileCustomField = wire.profileCustomField.map((field) => ({ key: field.key, value: field.value }));
  return profile;
}

/** The `updateMyProfile` options (the official `UPDATE_YOUR_PROFILE_OPTIONS`). */
export interface UpdateMyProfileOptions {
  nick?: string;
  avatar?: string;
  /** `TYPES.GENDER_*`. */
  gender?: TypesValue;
  selfSignature?: string;
  /** `TYPES.ALLOW_TYPE_*`. */
  allowType?: TypesValue;
  birthday?: number;
  location?: string;
  language?: number;
  messageSettings?: number;
  /** `TYPES.FORBID_TYPE_*`. */
  adminForbidType?: TypesValue;
  level?: number;
  role?: number;
  /** `[{key: 'Tag_Profile_Custom_{name}', value}]`. */
  profileCustomField?: Array<any>;
}

const TEXT_FIELDS = ['nick', 'avatar', 'gender', 'selfSignature', 'allowType', 'location', 'adminForbidType'] as const;
const NUMBER_FIELDS = ['birthday', 'language', 'messageSettings', 'level', 'role'] as const;

/** Checks the options' types and builds the wire request. The server checks values and lengths. */
export function updateRequest(options: UpdateMyProfileOptions): WireUpdateMyProfileRequest {
  const api = 'updateMyProfile';
  if (!options || typeof options !== 'object') throw invalidParams(ERROR_CODE.OPTIONS_IS_EMPTY, api, 'options are required');
  const request: Record<string, unknown> = {};
  for (const field of TEXT_FIELDS) {
    const value = options[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, `${field} must be a string`);
    request[field] = value;
  }
  for (const field of NUMBER_FIELDS) {
    const value = options[field];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, `${field} must be a non-negative integer`);
    }
    request[field] = value;
  }
  if (options.profileCustomField !== undefined) {
    if (!Array.isArray(options.profileCustomField)) throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'profileCustomField must be an array');
    request.profileCustomField = options.profileCustomField.map((field: unknown): WireProfileCustomField => {
      const { key, value } = (field ?? {}) as { key?: unknown; value?: unknown };
      const valid = typeof key === 'string' && (typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value) && value >= 0));
      if (!valid) throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'profileCustomField items are {key: string, value: string | non-negative integer}');
      return { key: key as string, value: value as string | number };
    });
  }
  if (Object.keys(request).length === 0) throw invalidParams(ERROR_CODE.INVALID_OPERATION, api, 'nothing to update');
  return request as WireUpdateMyProfileRequest;
}
