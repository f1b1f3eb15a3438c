/**
 * The event emitter behind `chat.on` / `chat.off`: handlers get `{ name, data }`, an optional
 * `this` context, and can be registered for one call only.
 *
 * @packageDocumentation
 */

import type { Logger } from './log.js';

/** What a handler receives: the event name (an `EVENT` value) and its payload. */
export interface ChatEvent<Data = unknown> {
  /** The `TencentCloudChat.EVENT` value that fired. */
  name: string;
  /** The payload; its shape depends on the event. */
  data?: Data;
}

/** An event handler. */
export type ChatEventHandler<Data = any> = (event: ChatEvent<Data>) => void;

interface Registration {
  handler: Function;
  context: unknown;
  once: boolean;
}

/** A small synchronous emitter. A throwing handler is logged and does not stop the others. */
export class Emitter {
  private readonly handlers = new Map<string, Registration[]>();

  constructor(private readonly log: Logger) {}

  /** Registers `handler` for `eventName`, called with `this` = `context`. */
  on(eventName: string, handler: Function, context?: unknown, once = false): void {
    const list = this.handlers.get(eventName) ?? [];
    list.push({ handler, context, once });
    this.handlers.set(eventName, list);
  }

  /**
   * Removes registrations of `handler` (and `context`, when given). With `once` set, removes only
   * the first matching registration.
   */
  off(eventName: string, handler: Function, context?: unknown, once = false): void {
    const list = this.handlers.get(eventName);
    if (!list) return;
    for (let index = list.length - 1; index >= 0; index -= 1) {
      const registration = list[index]!;
      if (registration.handler !== handler) continue;
      if (context !== undefined && registration.context !== context) continue;
      list.splice(index, 1);
      if (once) break;
    }
    if (list.length === 0) this.handlers.delete(eventName);
  }

  /** Removes every registration. */
  clear(): void {
    this.handlers.clear();
  }

  /** Calls the handlers of `eventName` with `{ name, data }`. */
  emit(eventName: string, data?: unknown): void {
    const list = this.handlers.get(eventName);
    if (!list || list.length === 0) return;
    const event: ChatEvent = data === undefined ? { name: eventName } : { name: eventName, data };
    for (const registration of [...list]) {
      if (registration.once) this.off(eventName, registration.handler, registration.context, true);
      try {
        registration.handler.call(registration.context, event);
      } catch (error) {
        this.log.error(`handler of ${eventName} threw`, error);
      }
    }
  }
}
