import { assert } from "./assert.ts";

// Exact integer division of safe integers. Float division of two integers can round a quotient just
// below an integer up to it once the quotient passes 2^33 or so; one correction step each way makes the
// result exact for every numerator below 2^53.

export function divideFloor(numerator: number, divisor: number): number {
  assert(Number.isSafeInteger(numerator) && numerator >= 0, "divideFloor numerator");
  assert(Number.isSafeInteger(divisor) && divisor > 0, "divideFloor divisor");
  let quotient = Math.floor(numerator / divisor);
  if (quotient * divisor > numerator) quotient -= 1;
  else if ((quotient + 1) * divisor <= numerator) quotient += 1;
  return quotient;
}

export function divideCeil(numerator: number, divisor: number): number {
  const quotient = divideFloor(numerator, divisor);
  return quotient * divisor === numerator ? quotient : quotient + 1;
}
