/**
 * The change kinds of administration, applied to the caches: recalls and edits (`MESSAGE_REVOKED`,
 * `MESSAGE_MODIFIED`), group system notices and dismissals (a `TIMGroupSystemNoticeElem` message in
 * `@TIM#SYSTEM`, and `GROUP_LIST_UPDATED` when a group is gone), and profile updates
 * (`PROFILE_UPDATED`), and the user's own conversation attributes (pin, custom data and marks, `CONVERSATION_LIST_UPDATED`).
 * The synchronizer applies them in stream order and emits what they collect.
 *
 * @packageDocumentation
 */

import type { ConversationStore } from './conversations.js';
import type { GroupStore } from './groups.js';
import type { MessageStore } from './message-store.js';
import { type Message, systemNoticeMessage } from './messages.js';
import { type Profile, profileFromWire } from './profiles.js';
import { WIRE_GROUP_NOTICE, type WireChangeEntry } from './wire.js';

/** What applying changes produced, to emit once the task ends. */
export class Effects {
  /** Messages recalled since the last flush. */
  revoked: Message[] = [];
  /** Messages edited since the last flush. */
  modified: Message[] = [];
  /** System notices to deliver with `MESSAGE_RECEIVED`. */
  notices: Message[] = [];
  /** Profiles that changed. */
  profiles: Profile[] = [];
  conversationsChanged = false;
  groupsChanged = false;
}

/** The caches the effects touch. */
export interface EffectsHost {
  messages: MessageStore;
  conversations: ConversationStore;
  groups: GroupStore;
  /** The SDK instance, owner of the messages it builds. */
  owner: object;
  me(): string;
}

/** Applies one change of administration. Returns false for kinds it does not handle. */
export function applyAdministrationChange(host: EffectsHost, entry: WireChangeEntry, effects: Effects): boolean {
  const change = entry.change;
  switch (change.kind) {
    case 'messageRevoked': {
      const message = host.messages.get(change.messageID);
      if (message && !message.isRevoked) {
        message.isRevoked = true;
        effects.revoked.push(message);
      }
      refreshLastMessage(host, effects, change.conversationID, change.sequence, message, (last) => (last.isRevoked = true));
      return true;
    }
    case 'messageModified': {
      const known = host.messages.get(change.messageID);
      if (!change.message) return true;
      const { message } = host.messages.merge(change.message, host.me());
      if (known) effects.modified.push(message);
      refreshLastMessage(host, effects, change.conversationID, change.sequence, message);
      return true;
    }
    case 'groupSystemNotice':
      effects.notices.push(notice(host, entry, change.groupID, change.groupName, change.operationType, change.operatorID, change.userDefinedField, change.time));
      return true;
    case 'groupDismissed':
      if (host.groups.remove(change.groupID)) {
        host.conversations.refreshGroupProfiles();
        effects.groupsChanged = true;
      }
      effects.notices.push(notice(host, entry, change.groupID, change.groupName, WIRE_GROUP_NOTICE.DISMISSED, change.operatorID, '', change.time));
      return true;
    case 'conversationPinned':
      // A conversation not listed here yet comes with its pin in the next snapshot or answer.
      if (host.conversations.applyPinned(change.conversationID, change.isPinned)) effects.conversationsChanged = true;
      return true;
    case 'conversationCustomData':
      if (host.conversations.applyCustomData(change.conversationID, change.customData)) effects.conversationsChanged = true;
      return true;
    case 'conversationMarked':
      if (host.conversations.applyMarks(change.conversationID, change.markList)) effects.conversationsChanged = true;
      return true;
    case 'profileUpdated':
      effects.profiles.push(profileFromWire(change.profile));
      return true;
    default:
      return false;
  }
}

/** A recall or edit of the conversation's last message shows in its `lastMessage`. */
function refreshLastMessage(
  host: EffectsHost,
  effects: Effects,
  conversationID: string,
  sequence: number,
  message: Message | undefined,
  patch?: (last: { isRevoked: boolean }) => void,
): void {
  const state = host.conversations.get(conversationID);
  if (!state || state.view.lastMessage.lastSequence !== sequence) return;
  if (message) host.conversations.applyMessage(message, host.me(), false);
  else patch?.(state.view.lastMessage);
  effects.conversationsChanged = true;
}

function notice(
  host: EffectsHost,
  entry: WireChangeEntry,
  groupID: string,
  name: string,
  operationType: number,
  operatorID: string,
  userDefinedField: string,
  time: number,
): Message {
  const payload = { groupProfile: { groupID, name }, operationType, operatorID, userDefinedField, handleMessage: '' };
  return systemNoticeMessage(`@TIM#SYSTEM-${entry.position}`, payload, time, host.me(), host.owner);
}
