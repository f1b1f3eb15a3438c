/**
 * Session: keeps one logged-in connection alive. Logs in, sends a heartbeat every 30 s, reconnects
 * with exponential backoff when the connection drops, logs in again on the new connection, and lets
 * requests wait for the connection to come back (or retries them on it when they are idempotent).
 *
 * @packageDocumentation
 */

import { ChatError, ERROR_CODE } from './errors.js';
import type { Logger } from './log.js';
import { Connection, type WebSocketFactory } from './transport.js';
import type { WireLoginRequest, WireLoginResult, WireOp, WireOperations, WirePushFrame } from './wire.js';

/** Network states reported through `EVENT.NET_STATE_CHANGE` (the `TYPES.NET_STATE_*` values). */
export type NetState = 'connected' | 'connecting' | 'disconnected';

/** Tunables of a session; `create` options fill them. */
export interface SessionOptions {
  url: string;
  factory: WebSocketFactory;
  log: Logger;
  login: WireLoginRequest;
  requestTimeoutMs: number;
  heartbeatIntervalMs: number;
  reconnectMinDelayMs: number;
  reconnectMaxDelayMs: number;
}

/** What the session tells its owner. */
export interface SessionHooks {
  onPush(frame: WirePushFrame): void;
  onNetState(state: NetState): void;
  /** A new connection is logged in again after a drop; the owner resynchronizes. */
  onReconnected(result: WireLoginResult): void;
  /** The server refused to log the session in again: the session is over. */
  onLost(error: ChatError): void;
  onServerTime(serverTimeMs: number): void;
}

/** How a request behaves when the connection drops while it waits or is in flight. */
export interface RequestPolicy {
  /**
   * Resend on the next connection. Only for requests the server treats idempotently (reads,
   * `setMessageRead`, and `sendMessage`, whose `clientMsgID` makes a resend return the original).
   */
  retry: boolean;
  /** Overall deadline from the call, in milliseconds. */
  timeoutMs?: number;
}

/** Login codes after which trying again cannot help. */
function isRetryableLoginError(error: ChatError): boolean {
  return error.code === ERROR_CODE.NETWORK_ERROR || error.code === ERROR_CODE.NETWORK_TIMEOUT || error.code === 60007;
}

/** One user's connection to the server, across reconnects. */
export class Session {
  private connection: Connection | undefined;
  private stopped = false;
  private reconnecting = false;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private wakeReconnect: (() => void) | undefined;
  private waiters: Array<{ resolve: (connection: Connection) => void; reject: (error: ChatError) => void }> = [];

  constructor(private readonly options: SessionOptions, private readonly hooks: SessionHooks) {}

  /** Whether a logged-in connection is up right now. */
  get isOnline(): boolean {
    return this.connection?.isOpen === true;
  }

  /**
   * Connects and logs in for the first time. Rejects with the server's code when the login is
   * refused, or `NETWORK_ERROR` when the server cannot be reached; there is no retry here.
   */
  async start(): Promise<WireLoginResult> {
    const { connection, result } = await this.connectAndLogin();
    if (this.stopped) {
      connection.close();
      throw new ChatError(ERROR_CODE.LOGGED_OUT, 'logged out while logging in');
    }
    this.online(connection);
    return result;
  }

  /** Sends a request once logged in, waiting for a reconnect when needed (see {@link RequestPolicy}). */
  async request<Op extends WireOp>(op: Op, data: WireOperations[Op][0], policy: RequestPolicy): Promise<WireOperations[Op][1]> {
    const deadline = Date.now() + (policy.timeoutMs ?? this.options.requestTimeoutMs);
    for (;;) {
      const connection = await this.waitOnline(op, deadline);
      try {
        return await connection.request(op, data, Math.max(1, deadline - Date.now()));
      } catch (error) {
        const chatError = error as ChatError;
        const dropped = chatError.code === ERROR_CODE.NETWORK_ERROR;
        if (dropped && policy.retry && !this.stopped && Date.now() < deadline) {
          this.options.log.info(`${op}: connection dropped, will resend after reconnecting`);
          continue;
        }
        throw error;
      }
    }
  }

  /** Sends `logout` when connected (best effort) and ends the session. */
  async logout(): Promise<void> {
    const connection = this.connection;
    this.stop();
    if (connection?.isOpen) {
      try {
        await connection.request('logout', {}, Math.min(this.options.requestTimeoutMs, 5000));
      } catch (error) {
        this.options.log.debug('logout request failed', error);
      }
      connection.close(1000, 'logout');
    }
  }

  /** Ends the session: no more reconnects; waiting requests fail with `LOGGED_OUT`. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stopHeartbeat();
    this.wakeReconnect?.();
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(new ChatError(ERROR_CODE.LOGGED_OUT, 'the session has ended'));
  }

  /** Ends the session and closes the socket without a logout request (kick-out, destroy). */
  close(): void {
    const connection = this.connection;
    this.stop();
    connection?.close(1000, 'closed');
  }

  /** Drops the current connection as if the network failed (used by the heartbeat and by tests). */
  dropConnection(): void {
    const connection = this.connection;
    if (!connection) return;
    connection.close(4000, 'dropped');
    this.lost(connection);
  }

  private async connectAndLogin(): Promise<{ connection: Connection; result: WireLoginResult }> {
    let connection: Connection | undefined;
    const handlers = {
      onPush: (frame: WirePushFrame) => this.hooks.onPush(frame),
      onClose: (code: number, reason: string) => {
        this.options.log.info(`connection closed (${code}${reason ? ` ${reason}` : ''})`);
        if (connection) this.lost(connection);
      },
    };
    connection = await Connection.open(this.options.factory, this.options.url, handlers, this.options.log, this.options.requestTimeoutMs);
    try {
      const result = await connection.request('login', this.options.login, this.options.requestTimeoutMs);
      this.hooks.onServerTime(result.serverTimeMs);
      return { connection, result };
    } catch (error) {
      connection.close();
      throw error;
    }
  }

  private online(connection: Connection): void {
    this.connection = connection;
    this.startHeartbeat(connection);
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.resolve(connection);
  }

  private lost(connection: Connection): void {
    if (this.connection !== connection) return;
    this.connection = undefined;
    this.stopHeartbeat();
    if (this.stopped) return;
    void this.reconnectLoop();
  }

  private waitOnline(op: string, deadline: number): Promise<Connection> {
    if (this.stopped) return Promise.reject(new ChatError(ERROR_CODE.LOGGED_OUT, `${op}: the session has ended`));
    if (this.connection?.isOpen) return Promise.resolve(this.connection);
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (connection: Connection) => {
          clearTimeout(timer);
          resolve(connection);
        },
        reject: (error: ChatError) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((candidate) => candidate !== waiter);
        reject(new ChatError(ERROR_CODE.NETWORK_ERROR, `${op}: not connected to the server (still reconnecting)`));
      }, Math.max(1, deadline - Date.now()));
      this.waiters.push(waiter);
    });
  }

  private async reconnectLoop(): Promise<void> {
    if (this.reconnecting) return;
    this.reconnecting = true;
    this.hooks.onNetState('connecting');
    let attempt = 0;
    try {
      while (!this.stopped) {
        await this.sleep(this.backoff(attempt));
        if (this.stopped) return;
        try {
          const { connection, result } = await this.connectAndLogin();
          if (this.stopped) {
            connection.close();
            return;
          }
          this.options.log.info('reconnected');
          this.online(connection);
          this.hooks.onNetState('connected');
          this.hooks.onReconnected(result);
          return;
        } catch (error) {
          const chatError = error as ChatError;
          if (!isRetryableLoginError(chatError)) {
            this.options.log.error('the server refused to log in again', chatError.code, chatError.message);
            this.stop();
            this.hooks.onLost(chatError);
            return;
          }
          attempt += 1;
          this.options.log.debug(`reconnect attempt ${attempt} failed: ${chatError.message}`);
          if (attempt === 3) this.hooks.onNetState('disconnected');
        }
      }
    } finally {
      this.reconnecting = false;
    }
  }

  private backoff(attempt: number): number {
    const { reconnectMinDelayMs: min, reconnectMaxDelayMs: max } = this.options;
    const base = Math.min(max, min * 2 ** attempt);
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeReconnect = done;
    });
  }

  private startHeartbeat(connection: Connection): void {
    this.stopHeartbeat();
    const interval = this.options.heartbeatIntervalMs;
    this.heartbeat = setInterval(() => {
      connection
        .request('heartbeat', {}, Math.min(interval, 10_000))
        .then((result) => this.hooks.onServerTime(result.serverTimeMs))
        .catch((error: ChatError) => {
          if (this.connection !== connection) return;
          this.options.log.warn(`heartbeat failed (${error.code}); reconnecting`);
          this.dropConnection();
        });
    }, interval);
    // A heartbeat alone must not keep a Node process alive.
    (this.heartbeat as { unref?: () => void }).unref?.();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}
