/**
 * Transport: one WebSocket connection speaking the request/response/push envelope of
 * `docs/protocol.md`. The WebSocket itself comes from an injectable factory, so the same code runs
 * in browsers (global `WebSocket`) and in Node 20 (the `ws` package).
 *
 * @packageDocumentation
 */

import { ChatError, ERROR_CODE } from './errors.js';
import type { Logger } from './log.js';
import { MAX_FRAME_BYTES, type WireOp, type WireOperations, type WirePushFrame, type WireResponseFrame } from './wire.js';

/** The subset of the WHATWG `WebSocket` interface the SDK uses. Both browsers and `ws` provide it. */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** Sends one text frame. */
  send(data: string): void;
  /** Closes the connection. */
  close(code?: number, reason?: string): void;
  /** Called once the connection is open. */
  onopen: ((event: any) => void) | null;
  /** Called when the connection is closed. */
  onclose: ((event: any) => void) | null;
  /** Called on connection errors. */
  onerror: ((event: any) => void) | null;
  /** Called for every received frame; `event.data` is the text. */
  onmessage: ((event: any) => void) | null;
}

/**
 * Makes a WebSocket for a URL. Pass one as the `webSocketFactory` create option to use a custom
 * transport (a proxy, a test double, a polyfill).
 */
export type WebSocketFactory = (url: string) => WebSocketLike | Promise<WebSocketLike>;

/**
 * The default factory: the global `WebSocket` when there is one (browsers, Node ≥ 22, Deno, Bun),
 * otherwise the `ws` package (Node 20), with permessage-deflate off as the server expects.
 */
export const defaultWebSocketFactory: WebSocketFactory = async (url) => {
  const globalWebSocket = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
  if (typeof globalWebSocket === 'function') return new globalWebSocket(url);
  const module: any = await import('ws');
  const NodeWebSocket = module.WebSocket ?? module.default;
  return new NodeWebSocket(url, { perMessageDeflate: false }) as WebSocketLike;
};

/**
 * Turns a `proxyServer` base URL into the socket URL: `http(s)://` becomes `ws(s)://`, a path prefix
 * is kept, and `/ws` is appended (unless the URL already ends with it).
 */
export function socketUrl(proxyServer: string): string {
  let base = proxyServer.trim();
  if (!/^[a-z]+:\/\//i.test(base)) base = `ws://${base}`;
  const url = new URL(base);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new ChatError(ERROR_CODE.INVALID_OPERATION, `proxyServer must be an http(s) or ws(s) URL, got ${proxyServer}`);
  }
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path.endsWith('/ws') ? path : `${path}/ws`;
  url.hash = '';
  return url.toString();
}

/** The server's code for a message body over 12 KB (`crates/proto/src/codes.rs` `MESSAGE_TOO_LONG`). */
const MESSAGE_TOO_LONG = 80002;

function utf8Length(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index += 1) {
    const unit = text.charCodeAt(index);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff) {
      bytes += 4;
      index += 1;
    } else bytes += 3;
  }
  return bytes;
}

interface Pending {
  resolve: (data: any) => void;
  reject: (error: ChatError) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** Callbacks of a {@link Connection}. */
export interface ConnectionHandlers {
  /** A push frame arrived. */
  onPush(frame: WirePushFrame): void;
  /** The connection closed (after it had opened). Not called for {@link Connection.close}. */
  onClose(code: number, reason: string): void;
}

/** One open WebSocket: correlates responses with requests by `id` and hands pushes on. */
export class Connection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closedByUs = false;
  private closed = false;

  private constructor(
    private readonly socket: WebSocketLike,
    private readonly handlers: ConnectionHandlers,
    private readonly log: Logger,
  ) {}

  /** Opens a connection; rejects with `NETWORK_ERROR` when it cannot be opened within `timeoutMs`. */
  static open(
    factory: WebSocketFactory,
    url: string,
    handlers: ConnectionHandlers,
    log: Logger,
    timeoutMs: number,
  ): Promise<Connection> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (reason: string, socket?: WebSocketLike) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        try {
          socket?.close();
        } catch {
          // The socket may not be open yet; nothing to release then.
        }
        reject(new ChatError(ERROR_CODE.NETWORK_ERROR, `cannot connect to ${url}: ${reason}`));
      };
      let socketRef: WebSocketLike | undefined;
      const timer = setTimeout(() => fail('timed out', socketRef), timeoutMs);
      Promise.resolve()
        .then(() => factory(url))
        .then((socket) => {
          socketRef = socket;
          const connection = new Connection(socket, handlers, log);
          socket.onopen = () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            connection.attach();
            resolve(connection);
          };
          socket.onerror = (event: any) => fail(event?.message ?? 'error', socket);
          socket.onclose = (event: any) => fail(`closed (${event?.code ?? '?'})`, socket);
        })
        .catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
    });
  }

  private attach(): void {
    this.socket.onmessage = (event: any) => this.receive(event.data);
    this.socket.onerror = (event: any) => this.log.debug('socket error', event?.message ?? event);
    this.socket.onclose = (event: any) => this.finish(event?.code ?? 1006, event?.reason ?? '');
  }

  /** Whether the connection is open and usable. */
  get isOpen(): boolean {
    return !this.closed;
  }

  /**
   * Sends one request and resolves with its `data`; rejects with the server's code, or with
   * `NETWORK_TIMEOUT` after `timeoutMs`, or `NETWORK_ERROR` when the connection closes first.
   */
  request<Op extends WireOp>(op: Op, data: WireOperations[Op][0], timeoutMs: number): Promise<WireOperations[Op][1]> {
    if (this.closed) {
      return Promise.reject(new ChatError(ERROR_CODE.NETWORK_ERROR, `connection closed before ${op}`));
    }
    const id = this.nextId;
    this.nextId += 1;
    const text = JSON.stringify({ id, op, data });
    if (utf8Length(text) > MAX_FRAME_BYTES) {
      // The server closes connections that send larger frames; refusing here keeps the connection
      // (and stops a retry loop). For a message it is the documented "message too long" code.
      const code = op === 'sendMessage' ? MESSAGE_TOO_LONG : ERROR_CODE.INVALID_OPERATION;
      return Promise.reject(new ChatError(code, `${op} request is over the ${MAX_FRAME_BYTES}-byte frame limit`));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ChatError(ERROR_CODE.NETWORK_TIMEOUT, `${op} got no answer in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      try {
        this.socket.send(text);
        this.log.debug('→', op, id);
      } catch (error) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new ChatError(ERROR_CODE.NETWORK_ERROR, `cannot send ${op}: ${String(error)}`));
      }
    });
  }

  /** Closes the connection without calling `onClose`; pending requests fail with `NETWORK_ERROR`. */
  close(code = 1000, reason = ''): void {
    this.closedByUs = true;
    try {
      this.socket.close(code, reason);
    } catch {
      // Already closing.
    }
    this.finish(code, reason);
  }

  private receive(raw: unknown): void {
    const text = typeof raw === 'string' ? raw : String(raw);
    let frame: any;
    try {
      frame = JSON.parse(text);
    } catch {
      this.log.warn('ignoring a frame that is not JSON');
      return;
    }
    if (frame && typeof frame.push === 'string') {
      this.handlers.onPush(frame as WirePushFrame);
      return;
    }
    const response = frame as WireResponseFrame;
    const pending = this.pending.get(response.id);
    if (!pending) {
      if (response.code !== 0) this.log.warn('server error without a pending request', response.code, response.message);
      return;
    }
    this.pending.delete(response.id);
    clearTimeout(pending.timer);
    if (response.code === 0) pending.resolve(response.data ?? {});
    else pending.reject(new ChatError(response.code, response.message ?? `server error ${response.code}`));
  }

  private finish(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.onmessage = null;
    this.socket.onclose = null;
    this.socket.onerror = null;
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new ChatError(ERROR_CODE.NETWORK_ERROR, `connection closed (${code}) before response ${id}`));
    }
    this.pending.clear();
    if (!this.closedByUs) this.handlers.onClose(code, reason);
  }
}
