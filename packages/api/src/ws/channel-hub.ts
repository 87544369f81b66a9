// Subscriptions and fan-out. A message for a channel is serialised, encoded and framed once, and the
// same frame goes to every subscriber: the cost per subscriber is one socket write (coalesced per tick).

/** What the hub needs of a connection. */
export interface Subscriber {
  /**
   * Queues the bytes of one text message, or (when given) the ready-made WebSocket frame of it;
   * false when the connection was dropped (too slow, closed).
   */
  sendBytes(bytes: Buffer, frame?: Buffer): boolean;
}

/**
 * The unmasked WebSocket text frame of a payload (RFC 6455 §5.2: FIN + opcode 1, then the length in
 * 7, 7+16 or 7+64 bits): built once per publication, written as is to every subscriber's socket.
 *
 * @example
 * textFrame(Buffer.from("hi")); // => <Buffer 81 02 68 69>
 */
export function textFrame(payload: Buffer): Buffer {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x81;
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(0, 2);
    frame.writeUInt32BE(length, 6);
  }
  payload.copy(frame, headerLength);
  return frame;
}

/**
 * Channel key → subscribers.
 *
 * @example
 * const hub = new ChannelHub();
 * hub.subscribe("book:BTC-PERP", client);
 * if (hub.has("book:BTC-PERP")) hub.publish("book:BTC-PERP", { type: "book", ... });
 */
export class ChannelHub {
  private readonly channels = new Map<string, Set<Subscriber>>();
  // Channels with subscribers, by kind (the key up to its first ":"): feeds skip a whole kind's work
  // (building keys, collecting changes) when nobody subscribes to any channel of it.
  private readonly kinds = new Map<string, number>();
  /** Messages and bytes sent, for metrics and the benchmark. */
  messagesSent = 0;
  bytesSent = 0;
  private readonly onSent: (messages: number) => void;

  /** `onSent` learns how many messages each publication delivered (the Prometheus counter). */
  constructor(options: { onSent?: (messages: number) => void } = {}) {
    this.onSent = options.onSent ?? (() => {});
  }

  has(key: string): boolean {
    return this.channels.has(key);
  }

  /** Whether any channel of this kind ("trades", "orders", …) has a subscriber. */
  hasKind(kind: string): boolean {
    return this.kinds.has(kind);
  }

  subscriberCount(key: string): number {
    return this.channels.get(key)?.size ?? 0;
  }

  get channelCount(): number {
    return this.channels.size;
  }

  subscribe(key: string, subscriber: Subscriber): void {
    let subscribers = this.channels.get(key);
    if (subscribers === undefined) {
      subscribers = new Set();
      this.channels.set(key, subscribers);
      const kind = kindOf(key);
      this.kinds.set(kind, (this.kinds.get(kind) ?? 0) + 1);
    }
    subscribers.add(subscriber);
  }

  unsubscribe(key: string, subscriber: Subscriber): void {
    const subscribers = this.channels.get(key);
    if (subscribers === undefined) return;
    subscribers.delete(subscriber);
    if (subscribers.size > 0) return;
    this.channels.delete(key);
    const kind = kindOf(key);
    const remaining = (this.kinds.get(kind) ?? 1) - 1;
    if (remaining === 0) this.kinds.delete(kind);
    else this.kinds.set(kind, remaining);
  }

  /** Sends `message` to every subscriber of `key`; serialises only when someone listens. */
  publish(key: string, message: object): void {
    if (!this.channels.has(key)) return;
    this.publishBytes(key, Buffer.from(JSON.stringify(message), "utf8"));
  }

  /** Sends an already serialised message (UTF-8 JSON) to every subscriber of `key`. */
  publishBytes(key: string, bytes: Buffer): void {
    const subscribers = this.channels.get(key);
    if (subscribers === undefined) return;
    const frame = textFrame(bytes);
    let delivered = 0;
    for (const subscriber of subscribers) if (subscriber.sendBytes(bytes, frame)) delivered += 1;
    this.messagesSent += delivered;
    this.bytesSent += delivered * bytes.length;
    if (delivered > 0) this.onSent(delivered);
  }
}

function kindOf(key: string): string {
  const colon = key.indexOf(":");
  return colon < 0 ? key : key.slice(0, colon);
}
