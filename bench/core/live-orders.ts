import type { Random } from "./random.ts";

// The resting orders the generation pass knows to be live, so that every cancel in the stream names an
// order that is still on the book when the cancel arrives. Swap-remove keeps add, remove and a uniform
// random pick O(1); the order of the arrays depends only on the command stream, so picks replay exactly.

export class LiveOrders {
  private readonly orderIds: number[] = [];
  private readonly users: number[] = [];
  private readonly positionById = new Map<number, number>();

  get count(): number {
    return this.orderIds.length;
  }

  add(orderId: number, user: number): void {
    if (this.positionById.has(orderId)) throw new Error(`order ${orderId} is already live`);
    this.positionById.set(orderId, this.orderIds.length);
    this.orderIds.push(orderId);
    this.users.push(user);
  }

  /** Forgets an order; false when it was not live (an incoming order that never rested). */
  remove(orderId: number): boolean {
    const position = this.positionById.get(orderId);
    if (position === undefined) return false;
    this.positionById.delete(orderId);
    const lastId = this.orderIds.pop()!;
    const lastUser = this.users.pop()!;
    if (position < this.orderIds.length) {
      this.orderIds[position] = lastId;
      this.users[position] = lastUser;
      this.positionById.set(lastId, position);
    }
    return true;
  }

  /** A uniformly chosen live order, or undefined when the book is empty. */
  pick(random: Random): { readonly orderId: number; readonly user: number } | undefined {
    if (this.orderIds.length === 0) return undefined;
    const position = random.below(this.orderIds.length);
    return { orderId: this.orderIds[position]!, user: this.users[position]! };
  }
}
