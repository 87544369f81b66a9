// One WebSocket client: its subscriptions, login, operation budget, liveness and send buffer.
import type { WebSocket } from "ws";
import type { WsErrorCode } from "@perpdex/protocol";
import type { Subscriber } from "./channel-hub.ts";

/** Close codes: 1000 normal, 1001 going away, 1008 policy violation (slow, silent, over a cap). */
export const closeCodes = { normal: 1000, goingAway: 1001, policy: 1008 } as const;

/** The TCP socket under a ws WebSocket (`_socket`): what the fast path writes frames to. */
interface RawSocket {
  write(data: Buffer): boolean;
  cork(): void;
  uncork(): void;
}

// WebSocket.OPEN: frames may be written (not after a close frame went out).
const openState = 1;

// How long a dropped client gets to take its close frame before its socket is destroyed.
const closeGraceMs = 2_000;

/**
 * A connected client.
 *
 * @example
 * const connection = new WsConnection({ socket, ip, bufferedBytesMax: 4 << 20, operationsPerSecond: 50, now: Date.now, onDrop });
 * connection.sendJson({ type: "welcome" });
 */
export class WsConnection implements Subscriber {
  readonly socket: WebSocket;
  readonly ip: string;
  /** Subscription keys as the hub knows them (private ones end with the account). */
  readonly subscriptions = new Set<string>();
  account: string | null = null;
  signer: string | null = null;
  loggingIn = false;
  lastSeenMs: number;
  closed = false;
  private readonly bufferedBytesMax: number;
  private readonly operationsPerSecond: number;
  private tokens: number;
  private tokensAtMs: number;
  private readonly now: () => number;
  private readonly onDrop: (connection: WsConnection, code: WsErrorCode, message: string) => void;

  constructor(options: {
    socket: WebSocket;
    ip: string;
    bufferedBytesMax: number;
    operationsPerSecond: number;
    now: () => number;
    onDrop: (connection: WsConnection, code: WsErrorCode, message: string) => void;
  }) {
    this.socket = options.socket;
    this.ip = options.ip;
    this.bufferedBytesMax = options.bufferedBytesMax;
    this.operationsPerSecond = options.operationsPerSecond;
    this.now = options.now;
    this.onDrop = options.onDrop;
    this.lastSeenMs = options.now();
    // Token bucket: refills at the rate, holds twice the rate (SPEC 18 §3.3 burst).
    this.tokens = 2 * options.operationsPerSecond;
    this.tokensAtMs = this.lastSeenMs;
  }

  /** Takes one operation from the budget; false when the client sends too fast. */
  takeOperation(): boolean {
    const now = this.now();
    const capacity = 2 * this.operationsPerSecond;
    this.tokens = Math.min(capacity, this.tokens + ((now - this.tokensAtMs) * this.operationsPerSecond) / 1000);
    this.tokensAtMs = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /**
   * Queues one text message. A client whose unsent data would pass `bufferedBytesMax` is dropped with
   * WS_SLOW_CONSUMER: the server never buffers without bound for someone who does not read.
   */
  sendBytes(bytes: Buffer, frame?: Buffer): boolean {
    if (this.closed) return false;
    if (this.socket.bufferedAmount + bytes.length > this.bufferedBytesMax) {
      this.drop("WS_SLOW_CONSUMER", `more than ${this.bufferedBytesMax} bytes were waiting for this client to read them`);
      return false;
    }
    this.cork();
    const raw = this.raw();
    // A shared, ready-made frame goes straight to the TCP socket (no per-client framing or copy); the
    // ws library frames everything else. Without permessage-deflate its sender queues nothing, so
    // both paths keep the order of writes.
    if (frame !== undefined && raw !== undefined && this.socket.readyState === openState) raw.write(frame);
    else this.socket.send(bytes, { binary: false });
    return true;
  }

  private raw(): RawSocket | undefined {
    return (this.socket as unknown as { _socket?: RawSocket })._socket;
  }

  // Writes of one turn of the event loop leave in one system call: the node resolves a journal batch
  // at once, so a subscriber often gets several updates back to back. Uncorked on the next tick.
  private corked = false;

  private cork(): void {
    if (this.corked) return;
    const raw = this.raw();
    if (raw === undefined) return;
    this.corked = true;
    raw.cork();
    process.nextTick(() => {
      this.corked = false;
      raw.uncork();
    });
  }

  sendJson(message: object): boolean {
    return this.sendBytes(Buffer.from(JSON.stringify(message), "utf8"));
  }

  sendError(code: string, message: string, id: number | string | undefined, details?: Readonly<Record<string, string>>): void {
    this.sendJson({ type: "error", ...(id === undefined ? {} : { id }), code, message, ...(details === undefined ? {} : { details }) });
  }

  /** Closes with a reason the client can read: a `closing` message, then a close frame (code 1008). */
  drop(code: WsErrorCode, message: string, closeCode: number = closeCodes.policy): void {
    if (this.closed) return;
    this.closed = true;
    this.onDrop(this, code, message);
    const socket = this.socket;
    try {
      socket.send(JSON.stringify({ type: "closing", code, message }));
      socket.close(closeCode, code);
    } catch {
      socket.terminate();
      return;
    }
    const timer = setTimeout(() => socket.terminate(), closeGraceMs);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
  }
}
