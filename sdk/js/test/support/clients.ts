/**
 * Helpers for the suites: SDK instances pointed at a test server, logins that wait for
 * `SDK_READY`, and event recorders with bounded waits.
 */

import TencentCloudChat, { type ChatSDK, type CreateOptions, type Platform, genTestUserSig } from '../../src/index.js';
import { SDK_APP_ID, SECRET_KEY, type TestServer } from './server.js';

/** A fresh SDK instance (not the per-SDKAppID singleton) for `server`. */
export function newChat(server: TestServer, platform: Platform = 'web', extra: Partial<CreateOptions> = {}): ChatSDK {
  const chat = TencentCloudChat.create({
    SDKAppID: SDK_APP_ID,
    proxyServer: server.url,
    newInstance: true,
    platform,
    reconnectMinDelayMs: 100,
    reconnectMaxDelayMs: 500,
    requestTimeoutMs: 10_000,
    ...extra,
  });
  chat.setLogLevel(process.env.MYNAH_TEST_SDK_LOG ? 0 : 4);
  return chat;
}

/** A valid UserSig for `userID` on the test app. */
export async function userSigFor(userID: string, validity?: { expireTime: number; currentTime: number }): Promise<string> {
  return (await genTestUserSig({ SDKAppID: SDK_APP_ID, secretKey: SECRET_KEY, userID, ...validity })).userSig;
}

/** Logs in and resolves once `SDK_READY` fired. */
export async function loginReady(chat: ChatSDK, userID: string): Promise<void> {
  const ready = waitForEvent(chat, TencentCloudChat.EVENT.SDK_READY);
  await chat.login({ userID, userSig: await userSigFor(userID) });
  await ready;
}

/** Resolves with the data of the next `eventName` for which `accept` holds. */
export function waitForEvent<Data = any>(chat: ChatSDK, eventName: string, accept: (data: Data) => boolean = () => true, timeoutMs = 10_000): Promise<Data> {
  return new Promise((resolve, reject) => {
    const handler = (event: { data?: Data }) => {
      if (!accept(event.data as Data)) return;
      clearTimeout(timer);
      chat.off(eventName, handler);
      resolve(event.data as Data);
    };
    const timer = setTimeout(() => {
      chat.off(eventName, handler);
      reject(new Error(`no ${eventName} within ${timeoutMs} ms`));
    }, timeoutMs);
    chat.on(eventName, handler);
  });
}

/** Records every payload of `eventName`. */
export function record<Data = any>(chat: ChatSDK, eventName: string): Data[] {
  const seen: Data[] = [];
  chat.on(eventName, (event: { data?: Data }) => seen.push(event.data as Data));
  return seen;
}

/** Polls `condition` until it holds; fails with `what` after `timeoutMs`. */
export async function eventually(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits a little to let stray events arrive (used only to prove something did NOT happen). */
export function settle(ms = 300): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The text of a text message. */
export function textOf(message: { payload: any }): string {
  return String(message.payload?.text);
}

/** Destroys instances, ignoring errors (test cleanup). */
export async function destroyAll(...chats: ChatSDK[]): Promise<void> {
  await Promise.all(chats.map((chat) => chat.destroy().catch(() => undefined)));
}
