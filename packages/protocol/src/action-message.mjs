// The EIP-712 message of a signed action, built from its fields: plain JavaScript, so the api's
// signature worker (which runs without a TypeScript loader) builds exactly what signing.ts builds.
// Types: action-message.d.mts.

function orderMessage(order) {
  return {
    market: order.market,
    side: order.side,
    orderType: order.orderType,
    price: order.price ?? "",
    size: order.size,
    timeInForce: order.timeInForce ?? "",
    expiresAt: order.expiresAt ?? "",
    postOnly: order.postOnly ?? false,
    reduceOnly: order.reduceOnly ?? false,
    selfTradePrevention: order.selfTradePrevention ?? "",
    clientOrderId: order.clientOrderId ?? "",
    slippagePpm: order.slippagePpm ?? 0,
  };
}

function cancelMessage(cancel) {
  return { market: cancel.market, orderId: cancel.orderId ?? "", clientOrderId: cancel.clientOrderId ?? "" };
}

/**
 * An action's message: every field of `fieldTypes` (the action's EIP-712 type) in order, optional
 * fields at their defaults, `uint64` fields and the nonce as bigints (as viem expects).
 *
 * @example
 * messageOfFields([{ name: "account", type: "address" }, { name: "nonce", type: "uint64" }], { account: "0x…" }, 7);
 * // => { account: "0x…", nonce: 7n }
 */
export function messageOfFields(fieldTypes, fields, nonce) {
  const message = {};
  for (const field of fieldTypes) {
    const value = fields[field.name];
    if (field.name === "nonce") message.nonce = BigInt(nonce);
    else if (field.type === "Order[]") message[field.name] = (value ?? []).map(orderMessage);
    else if (field.type === "Cancel[]") message[field.name] = (value ?? []).map(cancelMessage);
    else if (field.type === "Order") message[field.name] = orderMessage(value);
    else if (field.type === "Cancel") message[field.name] = cancelMessage(value);
    else if (field.type === "string[]") message[field.name] = value ?? [];
    else if (field.type === "uint64") message[field.name] = BigInt(value ?? 0);
    else if (field.type === "string") message[field.name] = value ?? "";
    else message[field.name] = value;
  }
  return message;
}
