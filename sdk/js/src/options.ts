/**
 * The option and result shapes of `TencentCloudChat.create` and `chat.login`.
 *
 * @packageDocumentation
 */

import type { WebSocketFactory } from './transport.js';
import type { WirePlatform } from './wire.js';

/** Options of `TencentCloudChat.create`. The first five are official; the rest are Mynah-only. */
export interface CreateOptions {
  /** The app's SDKAppID. */
  SDKAppID: number;
  /**
   * The Mynah server: an `http(s)://` or `ws(s)://` base URL; the socket is base + `/ws`. Default:
   * the page's origin in a browser, otherwise `http://127.0.0.1:9800`.
   */
  proxyServer?: string;
  /** Accepted for compatibility; file upload is not served yet. */
  fileUploadProxy?: string;
  /** Accepted for compatibility; file download is not served yet. */
  fileDownloadProxy?: string;
  /** Accepted for compatibility (chat-uikit scene). */
  scene?: string;
  /**
   * Mynah-only: the device class this instance logs in as (`'web'` by default; also `'android'`,
   * `'ios'`, `'windows'`, `'mac'`, `'linux'`). Sessions of one class count against the app's
   * per-class limit, so tests use it to act as several devices.
   */
  platform?: WirePlatform;
  /** Mynah-only: makes the WebSocket (default: global `WebSocket`, else the `ws` package). */
  webSocketFactory?: WebSocketFactory;
  /**
   * Mynah-only: return a new instance even when one exists for this SDKAppID (for tests and tools
   * that act as several users in one process). Such instances are not registered.
   */
  newInstance?: boolean;
  /** Mynah-only: heartbeat interval in ms (default 30000). */
  heartbeatIntervalMs?: number;
  /** Mynah-only: deadline of one call, including waiting for a reconnect, in ms (default 30000). */
  requestTimeoutMs?: number;
  /** Mynah-only: first reconnect delay in ms (default 250); doubles per attempt. */
  reconnectMinDelayMs?: number;
  /** Mynah-only: longest reconnect delay in ms (default 10000). */
  reconnectMaxDelayMs?: number;
}

/** `login` options. */
export interface LoginOptions {
  userID: string;
  userSig: string;
}

/** `login` result data. */
export interface LoginResult {
  /** True when this user was already logged in on this instance. */
  repeatLogin: boolean;
  /** Why the login was a repeat. */
  errorInfo?: string;
}
