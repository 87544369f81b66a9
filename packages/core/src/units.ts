// Units live in types. Every quantity in the core is an integer in a named unit; decimals exist only
// at the edges (packages/protocol converts "123.45" strings exactly).
//
// PriceTicks: a price as a whole number of the market's tick size. price = ticks × tickSize.
// SizeLots:   a quantity as a whole number of the market's lot size. size = lots × lotSize.
// Both are stored in 32-bit signed slots of the order pool, so they are bounded by int32Max (asserted
// at the command boundary); products of the two are taken as bigint or kept below 2^53 by those bounds.
// TimeNs:     exchange time, nanoseconds since the Unix epoch, assigned by the sequencer (never read here).
// Sequence:   the global, gapless command sequence number (1, 2, 3, ...), assigned by the sequencer.

declare const brand: unique symbol;
type Brand<T, Name extends string> = T & { readonly [brand]: Name };

export type PriceTicks = Brand<number, "PriceTicks">;
export type SizeLots = Brand<number, "SizeLots">;
export type TimeNs = bigint;
export type Sequence = number;
/** A whole number of parts per million: 10_000 ppm = 1 %. */
export type RatePpm = Brand<number, "RatePpm">;

/** The largest price or size the order pool can hold (Int32Array slots). */
export const int32Max = 2_147_483_647;
/** Parts per million in one whole. */
export const ppmOne = 1_000_000;

/** Sequence numbers are used to derive order ids as sequence × batchItemsMax + item (see ids.ts). */
export const sequenceMax = 2 ** 44;
