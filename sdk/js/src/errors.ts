/**
 * Errors: the `imError` every rejected promise carries, and the client-side error codes.
 *
 * Server codes (Tencent's numeric codes, `crates/proto/src/codes.rs`) pass through unchanged.
 * Errors raised by the SDK itself use the official Web SDK's client codes (the `2xxx`/`3xxx` table
 * of `@tencentcloud/chat` 3.6.6); `docs/js-sdk.md` lists which method raises which.
 *
 * @packageDocumentation
 */

/**
 * Client-side error codes, named and numbered as in the official Web SDK.
 *
 * Only the codes Mynah raises are listed; server codes are not repeated here.
 */
export const ERROR_CODE = Object.freeze({
  /** `create` without a numeric `SDKAppID`. */
  NO_SDKAPPID: 2000,
  /** `login` without a `userID`. */
  NO_IDENTIFIER: 2002,
  /** `login` without a `userSig`. */
  NO_USERSIG: 2003,
  /** The call needs a logged-in user. */
  USER_NOT_LOGGED_IN: 2024,
  /** `login` while a login is already under way. */
  REPEAT_LOGIN: 2025,
  /** A message could not be sent (transport closed for good, logout during the send, ...). */
  MSG_SEND_FAIL: 2100,
  /** `sendMessage`/`resendMessage` was given something that is not a Message created by this SDK. */
  MSG_INSTANCE_REQUIRED: 2105,
  /** Messages cannot be sent to this conversation type (the system conversation). */
  MSG_INVALID_CONV_TYPE: 2106,
  /** The conversation ID is not `C2C${userID}`, `GROUP${groupID}` or `@TIM#SYSTEM`. */
  INVALID_CONV_ID: 2503,
  /** The group type is not one of `TYPES.GRP_*`. */
  ILLEGAL_GRP_TYPE: 2600,
  /** The group ID is missing or not a string. */
  ILLEGAL_GRP_ID: 2602,
  /** Not connected to the server and no reconnection succeeded in time. */
  NETWORK_ERROR: 2800,
  /** A request got no answer in time. */
  NETWORK_TIMEOUT: 2801,
  /** The operation is invalid in the current state or with these parameters. */
  INVALID_OPERATION: 2905,
  /** The SDK is not ready (wait for `EVENT.SDK_READY`). */
  SDK_IS_NOT_READY: 2999,
  /** The call was made while logging in. */
  LOGGING_IN: 3000,
  /** The SDK was logged out (by `logout()` or `destroy()`) while the call was pending. */
  LOGGED_OUT: 3005,
  /** A required options object is missing. */
  OPTIONS_IS_EMPTY: 3153,
} as const);

/**
 * The error every failed call rejects with (`imError`): a real `Error` with the numeric `code`.
 *
 * `code` is the server's Tencent code when the server refused the request, or one of
 * {@link ERROR_CODE} when the SDK refused it. `data` carries extra context where the official SDK
 * documents it (for example `data.message`, the failed message of `sendMessage`).
 */
export class ChatError extends Error {
  /** The numeric error code. */
  readonly code: number;
  /** Extra context, when any. */
  data?: unknown;

  /**
   * @param code - the numeric code.
   * @param message - a human-readable explanation.
   * @param data - optional extra context.
   */
  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = 'ChatError';
    this.code = code;
    if (data !== undefined) this.data = data;
  }
}

/** Builds the "Params validate failed" error the official SDK throws, with a code attached. */
export function invalidParams(code: number, api: string, detail: string): ChatError {
  return new ChatError(code, `Params validate failed. ${api}: ${detail}`);
}
