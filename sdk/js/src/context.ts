/**
 * The internal view of one SDK instance that the API modules (`message-api`, `conversation-api`,
 * `group-api`) work against, plus the `imResponse` helper.
 *
 * @packageDocumentation
 */

import type { ConversationStore } from './conversations.js';
import type { ChatError } from './errors.js';
import type { GroupStore } from './groups.js';
import type { Logger } from './log.js';
import type { MessageStore } from './message-store.js';
import type { RequestPolicy } from './session.js';
import type { Synchronizer } from './sync.js';
import type { WireOp, WireOperations } from './wire.js';

/** What every successful call resolves with (`imResponse`). */
export interface ChatResponse<Data = any> {
  /** Always 0. */
  code: 0;
  /** The result. */
  data: Data;
}

/** Wraps a result as an `imResponse`. */
export function ok<Data>(data: Data): ChatResponse<Data> {
  return { code: 0, data };
}

/** The instance internals the API modules use. */
export interface ChatContext {
  readonly owner: object;
  readonly log: Logger;
  readonly messages: MessageStore;
  readonly conversations: ConversationStore;
  readonly groups: GroupStore;
  readonly sync: Synchronizer;
  /** The logged-in userID, `''` when none. */
  userID(): string;
  /** Whether the initial sync has finished. */
  isReady(): boolean;
  /** The error to reject with when `api` needs a ready SDK (or a login, with `loginOnly`) and it is not. */
  notReadyError(api: string, loginOnly?: boolean): ChatError | undefined;
  /** Estimated server time, unix milliseconds. */
  serverTimeMs(): number;
  /** The next local message ordering number. */
  nextClientSequence(): number;
  /** Sends a request on the current session. */
  request<Op extends WireOp>(op: Op, data: WireOperations[Op][0], policy: RequestPolicy): Promise<WireOperations[Op][1]>;
}
