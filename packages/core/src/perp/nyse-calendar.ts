import { assert } from "../assert.ts";
import type { TimeNs } from "../units.ts";
import { nyseSessionTable } from "./nyse-calendar-data.ts";

// The NYSE regular-session calendar as data (nyse-calendar-data.ts, generated outside the core by
// scripts/generate-nyse-calendar.ts from the IANA zone database): daylight saving, holidays and 13:00
// early closes are already in the UTC minute boundaries, so the core needs no time-zone library.
// Outside the table's years (2024–2030) the market is treated as closed: an equity perp then runs in its
// off-hours regime until the table is extended, which is the safe side.

const nanosecondsPerMinute = 60_000_000_000n;
const sessionCount = nyseSessionTable.length / 2;

/**
 * Where an exchange time sits in the NYSE calendar: inside a regular session (`open`), and the next
 * time that changes (the session's close when open, the next open when closed; null past the table).
 *
 * @example
 * const at: SessionPosition = { open: true, changesAt: 1_704_220_200_000_000_000n, since: 1_704_205_800_000_000_000n };
 */
export interface SessionPosition {
  readonly open: boolean;
  /** Exchange time (ns) of the next open/close boundary; null when the table has none. */
  readonly changesAt: TimeNs | null;
  /** Exchange time (ns) of the last boundary: the open (when open) or the last close (when closed); null before the table. */
  readonly since: TimeNs | null;
}

function openMinute(session: number): number {
  return nyseSessionTable[2 * session]!;
}

function closeMinute(session: number): number {
  return nyseSessionTable[2 * session]! + nyseSessionTable[2 * session + 1]!;
}

/** The last session whose open is at or before `minute`, or −1. Binary search over the sorted table. */
function sessionAtOrBefore(minute: bigint): number {
  let low = 0;
  let high = sessionCount - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    if (BigInt(openMinute(middle)) <= minute) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}

/**
 * The NYSE session position of an exchange time: open in [09:30, 16:00) New York (13:00 on early-close
 * days) of a trading day, closed otherwise. Boundaries are whole minutes: the open minute is inside, the
 * close minute is outside.
 *
 * @example
 * // Tuesday 2 January 2024, 14:30 UTC = 09:30 New York (winter time): the session just opened.
 * nyseSessionAt(1_704_205_800_000_000_000n).open; // => true
 */
export function nyseSessionAt(time: TimeNs): SessionPosition {
  assert(time >= 0n, "exchange time is never negative");
  const minute = time / nanosecondsPerMinute;
  const session = sessionAtOrBefore(minute);
  const toTime = (value: number): TimeNs => BigInt(value) * nanosecondsPerMinute;
  if (session >= 0 && minute < BigInt(closeMinute(session))) {
    return { open: true, changesAt: toTime(closeMinute(session)), since: toTime(openMinute(session)) };
  }
  const next = session + 1;
  return {
    open: false,
    changesAt: next < sessionCount ? toTime(openMinute(next)) : null,
    since: session >= 0 ? toTime(closeMinute(session)) : null,
  };
}

/**
 * The regular sessions overlapping [from, to), as [open, close) exchange times: for market data and tests.
 *
 * @example
 * nyseSessionsBetween(0n, 1n); // => []
 */
export function nyseSessionsBetween(from: TimeNs, to: TimeNs): { open: TimeNs; close: TimeNs }[] {
  const result: { open: TimeNs; close: TimeNs }[] = [];
  let session = Math.max(0, sessionAtOrBefore(from / nanosecondsPerMinute));
  for (; session < sessionCount; session += 1) {
    const open = BigInt(openMinute(session)) * nanosecondsPerMinute;
    const close = BigInt(closeMinute(session)) * nanosecondsPerMinute;
    if (open >= to) break;
    if (close > from) result.push({ open, close });
  }
  return result;
}
