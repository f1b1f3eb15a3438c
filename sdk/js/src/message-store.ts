/**
 * The local message cache: one `Message` instance per message ID, indexed by conversation and
 * sequence, so every path that learns about a message (send result, push, resync, history page)
 * lands on the same object and nothing is stored or announced twice.
 *
 * @packageDocumentation
 */

import { type Message, applyWire, messageFromWire } from './messages.js';
import type { WireMessage } from './wire.js';

/** The cache. */
export class MessageStore {
  private readonly byID = new Map<string, Message>();
  private readonly bySequence = new Map<string, Map<number, Message>>();

  constructor(private readonly owner: object) {}

  /** A cached message by ID. */
  get(messageID: string): Message | undefined {
    return this.byID.get(messageID);
  }

  /** A cached stored message by conversation and sequence. */
  atSequence(conversationID: string, sequence: number): Message | undefined {
    return this.bySequence.get(conversationID)?.get(sequence);
  }

  /** Adds a message created here (after the server accepted it). */
  addLocal(message: Message): void {
    this.byID.set(message.ID, message);
    this.index(message);
  }

  /**
   * Returns the cached instance for a server message, updated from it, or a new cached instance.
   * `isNew` tells whether the SDK had never seen the message.
   */
  merge(wire: WireMessage, me: string): { message: Message; isNew: boolean } {
    const existing = this.byID.get(wire.ID);
    if (existing) {
      applyWire(existing, wire, me);
      this.index(existing);
      return { message: existing, isNew: false };
    }
    const message = messageFromWire(wire, me, this.owner);
    this.byID.set(message.ID, message);
    this.index(message);
    return { message, isNew: true };
  }

  /** Marks cached incoming messages of a conversation up to `readSequence` as read. */
  markRead(conversationID: string, readSequence: number): void {
    const messages = this.bySequence.get(conversationID);
    if (!messages) return;
    for (const [sequence, message] of messages) if (sequence <= readSequence) message.isRead = true;
  }

  /** Forgets everything (logout). */
  clear(): void {
    this.byID.clear();
    this.bySequence.clear();
  }

  private index(message: Message): void {
    if (message.sequence <= 0) return;
    let messages = this.bySequence.get(message.conversationID);
    if (!messages) {
      messages = new Map();
      this.bySequence.set(message.conversationID, messages);
    }
    messages.set(message.sequence, message);
  }
}
