// The market both flash-crash tests crash: long/short pairs opened at $50,000 (longs at 2x to 50x, shorts
// at 5x), from one seeded generator, so every run crashes the same book.
import { limit, usdc, type ExchangeInput } from "./exchange-harness.ts";

export function address(index: number): string {
  return "0x" + index.toString(16).padStart(40, "0");
}

/** A small deterministic generator (xorshift32), so the crash is the same on every run. */
export function generator(seed: number): () => number {
  let state = seed | 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4_294_967_296;
  };
}

/**
 * Opens `traders / 2` pairs in BTC-PERP through `apply`: each short rests an ask at $50,000 and its long
 * takes it, 0.01 to 0.2 BTC, the long funded with barely its initial margin and fees.
 */
export function openPairs(apply: (input: ExchangeInput) => void, traders: number, random: () => number): void {
  const leverages = [2, 5, 10, 20, 50];
  for (let pair = 0; pair < traders / 2; pair += 1) {
    const long = address(pair * 2 + 1);
    const short = address(pair * 2 + 2);
    const lots = 10 + Math.floor(random() * 190); // 0.01 to 0.2 BTC: $500 to $10,000
    const leverage = leverages[Math.floor(random() * leverages.length)]!;
    const margin = Math.ceil((lots * 50_000 * 1_000) / leverage / 1_000_000) + Math.ceil(lots * 50 * 0.0012) + 1;
    apply({ type: "deposit", account: long, asset: "USDC", amount: usdc(margin + Math.floor(random() * 20)), reference: `0xl${pair}` });
    apply({ type: "deposit", account: short, asset: "USDC", amount: usdc(Math.ceil((lots * 50) / 5) + 100), reference: `0xs${pair}` });
    apply({ type: "setLeverage", account: long, market: "BTC-PERP", leverage });
    apply({ type: "setLeverage", account: short, market: "BTC-PERP", leverage: 5 });
    apply({ type: "placeOrder", account: short, order: limit("BTC-PERP", "sell", 50_000, lots) });
    apply({ type: "placeOrder", account: long, order: limit("BTC-PERP", "buy", 50_000, lots) });
  }
}
