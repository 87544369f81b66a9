// Types of action-message.mjs (plain JavaScript, so the api's signature worker loads it without a
// TypeScript loader).

/** An action's EIP-712 message from its fields: optional fields at their defaults, uint64s as bigints. */
export declare function messageOfFields(
  fieldTypes: readonly { readonly name: string; readonly type: string }[],
  fields: Readonly<Record<string, unknown>>,
  nonce: number | string | bigint,
): Record<string, unknown>;
