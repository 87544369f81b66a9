// Types of eip712.mjs (plain JavaScript, so the verify worker loads it without a TypeScript loader).

/** Keccak-256 of bytes, a Buffer of 32 bytes (compiled WebAssembly when it can run, else pure JavaScript). */
export declare function keccak(data: Uint8Array): Buffer;
/** True when Keccak runs compiled (WebAssembly), false on the pure-JavaScript fallback. */
export declare const nativeKeccak: boolean;
/** keccak256(typeHash ‖ encodeData(data)) of a struct. */
export declare function hashStruct(primaryType: string, data: unknown, types: Readonly<Record<string, readonly { name: string; type: string }[]>>): Buffer;
/** The EIP-712 digest of typed data, 32 bytes. */
export declare function hashTypedDataBytes(typedData: {
  readonly domain?: Readonly<Record<string, unknown>>;
  readonly types: Readonly<Record<string, readonly { name: string; type: string }[]>>;
  readonly primaryType: string;
  readonly message: Readonly<Record<string, unknown>>;
}): Buffer;
/** The EIP-712 digest of typed data, 0x-prefixed hex. */
export declare function hashTypedDataFast(typedData: {
  readonly domain?: Readonly<Record<string, unknown>>;
  readonly types: Readonly<Record<string, readonly { name: string; type: string }[]>>;
  readonly primaryType: string;
  readonly message: Readonly<Record<string, unknown>>;
}): `0x${string}`;
