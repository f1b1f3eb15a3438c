/**
 * A controllable network for one SDK instance, built on the SDK's injectable `webSocketFactory`:
 * cut the connection, refuse reconnects, lose chosen responses (acks) or heartbeats, and lose or
 * delay chosen pushes.
 */

import { WebSocket } from 'ws';

import type { WebSocketFactory, WebSocketLike } from '../../src/index.js';

/** Wraps a `ws` socket so incoming frames can be inspected and dropped. */
class ControlledSocket implements WebSocketLike {
  onopen: ((event: any) => void) | null = null;
  onclose: ((event: any) => void) | null = null;
  onerror: ((event: any) => void) | null = null;
  onmessage: ((event: any) => void) | null = null;

  constructor(readonly socket: WebSocket, private readonly network: Network) {
    socket.onopen = (event) => this.onopen?.(event);
    socket.onclose = (event) => this.onclose?.(event);
    socket.onerror = (event) => this.onerror?.(event);
    socket.onmessage = (event) => {
      if (this.network.intercept(this, String(event.data), event)) return;
      this.onmessage?.(event);
    };
  }

  get readyState(): number {
    return this.socket.readyState;
  }

  send(data: string): void {
    this.network.observe(JSON.parse(data));
    this.socket.send(data);
  }

  close(code?: number, reason?: string): void {
    this.socket.close(code, reason);
  }
}

/** The network of one SDK instance. */
export class Network {
  /** When set, new connections fail. */
  blocked = false;
  /** Connections opened so far. */
  connections = 0;
  private sockets: ControlledSocket[] = [];
  private loseAckOf: string | undefined;
  private lostAckIds = new Set<number>();
  private blockAfterLoss = false;
  private pushDrops: Array<(frame: { push: string; data: any }) => boolean> = [];
  private pushHolds: Array<{ accept: (frame: { push: string; data: any }) => boolean; held: Array<() => void> }> = [];
  private swallowHeartbeats = false;
  /** Ops of the requests seen, in order. */
  readonly sentOps: string[] = [];
  /** When each request was sent (`Date.now()`), in order. */
  readonly sentAt: Array<{ op: string; atMs: number }> = [];
  /** Every push that reached the socket (dropped and held ones included), in order. */
  readonly pushes: Array<{ push: string; data: any }> = [];

  /** The factory to pass as `webSocketFactory`. */
  readonly factory: WebSocketFactory = (url) => {
    if (this.blocked) throw new Error('network blocked by the test');
    this.connections += 1;
    const socket = new ControlledSocket(new WebSocket(url, { perMessageDeflate: false }), this);
    this.sockets.push(socket);
    return socket;
  };

  /** Cuts every open connection abruptly (no close frame). */
  cut(): void {
    for (const socket of this.sockets) socket.socket.terminate();
    this.sockets = [];
  }

  /**
   * Loses the response to the next request with this op, cutting the connection instead; with
   * `thenBlock`, reconnects are refused from then on (until `blocked` is cleared).
   */
  loseNextAck(op: string, { thenBlock = false } = {}): void {
    this.loseAckOf = op;
    this.blockAfterLoss = thenBlock;
  }

  /** Drops the next push for which `accept` holds, as if it had come after what follows it. */
  dropNextPush(accept: (frame: { push: string; data: any }) => boolean): void {
    this.pushDrops.push(accept);
  }

  /**
   * Holds back the next push for which `accept` holds, so the pushes after it overtake it (as from
   * another node). Call the returned function to deliver it.
   */
  holdNextPush(accept: (frame: { push: string; data: any }) => boolean): () => void {
    const hold = { accept, held: [] as Array<() => void> };
    this.pushHolds.push(hold);
    return () => {
      this.pushHolds = this.pushHolds.filter((candidate) => candidate !== hold);
      for (const deliver of hold.held) deliver();
    };
  }

  /** How many requests with `op` were sent so far. */
  countOps(op: string): number {
    return this.sentOps.filter((sent) => sent === op).length;
  }

  /** Stops answering heartbeats (the responses are swallowed) until called with false. */
  stallHeartbeats(stalled = true): void {
    this.swallowHeartbeats = stalled;
  }

  /** Called with every request the SDK sends. */
  observe(frame: { id: number; op: string }): void {
    this.sentOps.push(frame.op);
    this.sentAt.push({ op: frame.op, atMs: Date.now() });
    if (this.loseAckOf && frame.op === this.loseAckOf) {
      this.loseAckOf = undefined;
      this.lostAckIds.add(frame.id);
    }
  }

  /** Decides whether an incoming frame is dropped. */
  intercept(socket: ControlledSocket, text: string, event?: unknown): boolean {
    const frame = JSON.parse(text) as { id?: number; push?: string; data?: any };
    if (frame.id !== undefined && this.lostAckIds.delete(frame.id)) {
      if (this.blockAfterLoss) this.blocked = true;
      socket.socket.terminate();
      return true;
    }
    if (frame.push !== undefined) {
      this.pushes.push(frame as { push: string; data: any });
      const drop = this.pushDrops.findIndex((accept) => accept(frame as { push: string; data: any }));
      if (drop >= 0) {
        this.pushDrops.splice(drop, 1);
        return true;
      }
      const hold = this.pushHolds.find((candidate) => candidate.held.length === 0 && candidate.accept(frame as { push: string; data: any }));
      if (hold) {
        hold.held.push(() => socket.onmessage?.(event));
        return true;
      }
    }
    if (this.swallowHeartbeats && frame.id !== undefined && frame.data && Object.keys(frame.data).length === 1 && frame.data.serverTimeMs !== undefined) {
      return true;
    }
    return false;
  }
}
