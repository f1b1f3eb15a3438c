/**
 * A fault-injecting TCP proxy between SDK instances and the test server (reliability row R2):
 * it forwards every connection byte for byte and, while faults are on, cuts each connection after a
 * random lifetime of a few to tens of milliseconds. A cut closes both sides (FIN), resets them
 * (RST), or lets part of the next chunk through in either direction and then closes: a WebSocket
 * frame cut in the middle, on a request (mid-send) or on a response or push (mid-sync).
 *
 * The lifetimes and cut kinds come from a seeded generator, so a failing seed replays the same
 * fault schedule (connection N gets the same lifetime and cut; the timing of the clients around it
 * still varies from run to run). Point the SDK at `proxy.url` as its `proxyServer`.
 */

import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';

/** A small deterministic generator (mulberry32): uniform numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

/** How a connection is cut. */
type CutKind = 'close' | 'reset' | 'midChunk';

/** Options of {@link FaultProxy.start}. */
export interface FaultProxyOptions {
  /** Seeds the fault schedule. */
  seed: number;
  /** Shortest connection lifetime while faults are on, ms (default 3). */
  minLifetimeMs?: number;
  /** Longest connection lifetime while faults are on, ms (default 40). */
  maxLifetimeMs?: number;
}

/** What the proxy did, to prove the faults really happened. */
export interface FaultStats {
  connections: number;
  cuts: number;
  /** Cuts that let only part of a chunk through. */
  midChunkCuts: number;
  resets: number;
}

interface Link {
  client: Socket;
  upstream: Socket;
  /** The schedule drawn for this connection when it was accepted. */
  lifetimeMs: number;
  kind: CutKind;
  /** Fraction of the chunk let through by a `midChunk` cut. */
  prefix: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Set when a `midChunk` cut waits for the next chunk. */
  armed: boolean;
  openedAt: number;
  closed: boolean;
}

/** The proxy. */
export class FaultProxy {
  readonly stats: FaultStats = { connections: 0, cuts: 0, midChunkCuts: 0, resets: 0 };
  private readonly links = new Set<Link>();
  private readonly random: () => number;
  private faulty = false;

  private constructor(
    private readonly server: Server,
    private readonly upstream: { host: string; port: number },
    readonly options: Required<FaultProxyOptions>,
  ) {
    this.random = seededRandom(options.seed);
    server.on('connection', (client) => this.accept(client));
  }

  /** Starts a proxy on 127.0.0.1:0 in front of `upstreamUrl` (`http://host:port`); faults start off. */
  static async start(upstreamUrl: string, options: FaultProxyOptions): Promise<FaultProxy> {
    const target = new URL(upstreamUrl);
    const server = createServer({ noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return new FaultProxy(server, { host: target.hostname, port: Number(target.port) }, {
      minLifetimeMs: 3,
      maxLifetimeMs: 40,
      ...options,
    });
  }

  /** `http://127.0.0.1:PORT`, for the SDK's `proxyServer`. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Starts cutting: every open connection and every new one gets a lifetime. */
  startFaults(): void {
    this.faulty = true;
    for (const link of this.links) this.schedule(link);
  }

  /** Stops cutting (connections open now live on), so the clients can settle. */
  stopFaults(): void {
    this.faulty = false;
    for (const link of this.links) {
      if (link.timer !== undefined) clearTimeout(link.timer);
      link.timer = undefined;
      link.armed = false;
    }
  }

  /** Stops listening and ends every connection. */
  async close(): Promise<void> {
    this.stopFaults();
    for (const link of this.links) this.end(link, 'close');
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.stats.connections += 1;
    const upstream = connect({ ...this.upstream, noDelay: true });
    const kinds: CutKind[] = ['close', 'reset', 'midChunk', 'midChunk'];
    const { minLifetimeMs: min, maxLifetimeMs: max } = this.options;
    // Drawn per connection in accept order, whether or not faults are on, so the schedule depends on the seed only.
    const link: Link = {
      client,
      upstream,
      lifetimeMs: min + this.random() * (max - min),
      kind: kinds[Math.floor(this.random() * kinds.length)]!,
      prefix: this.random(),
      timer: undefined,
      armed: false,
      openedAt: Date.now(),
      closed: false,
    };
    this.links.add(link);
    client.setNoDelay(true);
    this.pipe(link, client, upstream);
    this.pipe(link, upstream, client);
    for (const [socket, other] of [[client, upstream], [upstream, client]] as const) {
      socket.on('error', () => this.end(link, 'close'));
      // A side that closed normally: let the other side finish writing, then close it too.
      socket.on('close', () => {
        this.forget(link);
        other.end();
        setTimeout(() => other.destroy(), 200).unref();
      });
    }
    if (this.faulty) this.schedule(link);
  }

  /** Forwards `from` to `to` chunk by chunk, so a cut can fall inside a chunk. */
  private pipe(link: Link, from: Socket, to: Socket): void {
    from.on('data', (chunk: Buffer) => {
      if (link.closed) return;
      if (link.armed) {
        // A cut inside this chunk: let a prefix through (possibly nothing), then close both sides.
        const keep = Math.min(chunk.length - 1, Math.floor(link.prefix * chunk.length));
        if (keep > 0) to.write(chunk.subarray(0, keep));
        this.stats.midChunkCuts += 1;
        this.end(link, 'midChunk');
        return;
      }
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    });
    from.on('end', () => to.end());
  }

  private schedule(link: Link): void {
    if (link.closed || link.timer !== undefined || link.armed) return;
    const remaining = Math.max(0, link.openedAt + link.lifetimeMs - Date.now());
    link.timer = setTimeout(() => {
      link.timer = undefined;
      if (!this.faulty || link.closed) return;
      this.stats.cuts += 1;
      if (link.kind !== 'midChunk') {
        this.end(link, link.kind);
        return;
      }
      // Wait for the next chunk either way; a quiet connection is closed after a while anyway.
      link.armed = true;
      link.timer = setTimeout(() => {
        link.timer = undefined;
        if (this.faulty && link.armed) this.end(link, 'close');
      }, 20);
    }, remaining);
  }

  private forget(link: Link): boolean {
    if (link.closed) return false;
    link.closed = true;
    link.armed = false;
    if (link.timer !== undefined) clearTimeout(link.timer);
    link.timer = undefined;
    this.links.delete(link);
    return true;
  }

  /** Ends both sides at once, as a failing network does. */
  private end(link: Link, how: CutKind): void {
    if (!this.forget(link)) return;
    if (how === 'reset') {
      this.stats.resets += 1;
      link.client.resetAndDestroy();
      link.upstream.resetAndDestroy();
    } else {
      link.client.destroy();
      link.upstream.destroy();
    }
  }
}
