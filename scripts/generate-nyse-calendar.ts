// Generates packages/core/src/perp/nyse-calendar-data.ts: the NYSE regular sessions of 2024–2030 as UTC
// minute boundaries. It runs outside the core (it uses Date and the Intl time-zone database, which the core
// may not), and its output is committed: the core reads a table, never a time zone.
//
//   npx tsx scripts/generate-nyse-calendar.ts
//
// Rules (NYSE Rule 7.2 and the published holiday calendars): closed on weekends and on New Year's Day,
// Martin Luther King Jr. Day, Washington's Birthday, Good Friday, Memorial Day, Juneteenth, Independence Day,
// Labor Day, Thanksgiving and Christmas. A Sunday holiday moves to Monday, a Saturday one to Friday, except
// New Year's Day (a Saturday New Year's Day is not observed on the Friday before). Early close 13:00 on the
// day before Independence Day (when that is a weekday and not itself a holiday), the day after Thanksgiving,
// and Christmas Eve (when a weekday and not itself the observed holiday). Special closures are listed by date.
import { writeFileSync } from "node:fs";

const firstYear = 2024;
const lastYear = 2030;
// Unscheduled closures: the National Day of Mourning for President Carter.
const specialClosures = new Set(["2025-01-09"]);

const key = (year: number, month: number, day: number): string =>
  `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
const weekday = (year: number, month: number, day: number): number => new Date(Date.UTC(year, month - 1, day)).getUTCDay();

function nthWeekday(year: number, month: number, dayOfWeek: number, n: number): number {
  const first = weekday(year, month, 1);
  return 1 + ((dayOfWeek - first + 7) % 7) + (n - 1) * 7;
}

function lastWeekday(year: number, month: number, dayOfWeek: number): number {
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const last = weekday(year, month, days);
  return days - ((last - dayOfWeek + 7) % 7);
}

/** Easter Sunday (anonymous Gregorian algorithm). */
function easter(year: number): [number, number] {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return [month, day];
}

function shift(year: number, month: number, day: number, days: number): string {
  const date = new Date(Date.UTC(year, month - 1, day + days));
  return key(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate());
}

/** A fixed-date holiday, observed on Friday when Saturday and Monday when Sunday. */
function observed(year: number, month: number, day: number): string {
  const dow = weekday(year, month, day);
  if (dow === 6) return shift(year, month, day, -1);
  if (dow === 0) return shift(year, month, day, 1);
  return key(year, month, day);
}

function holidays(year: number): Set<string> {
  const result = new Set<string>();
  if (weekday(year, 1, 1) !== 6) result.add(observed(year, 1, 1));
  result.add(key(year, 1, nthWeekday(year, 1, 1, 3)));
  result.add(key(year, 2, nthWeekday(year, 2, 1, 3)));
  const [easterMonth, easterDay] = easter(year);
  result.add(shift(year, easterMonth, easterDay, -2));
  result.add(key(year, 5, lastWeekday(year, 5, 1)));
  result.add(observed(year, 6, 19));
  result.add(observed(year, 7, 4));
  result.add(key(year, 9, nthWeekday(year, 9, 1, 1)));
  result.add(key(year, 11, nthWeekday(year, 11, 4, 4)));
  result.add(observed(year, 12, 25));
  for (const closure of specialClosures) if (closure.startsWith(`${year}-`)) result.add(closure);
  return result;
}

function earlyCloses(year: number, closed: Set<string>): Set<string> {
  const result = new Set<string>();
  const july3 = weekday(year, 7, 3);
  if (july3 >= 1 && july3 <= 4 && !closed.has(key(year, 7, 3))) result.add(key(year, 7, 3));
  result.add(shift(year, 11, nthWeekday(year, 11, 4, 4), 1));
  const december24 = weekday(year, 12, 24);
  if (december24 >= 1 && december24 <= 5 && !closed.has(key(year, 12, 24))) result.add(key(year, 12, 24));
  return result;
}

/** Minutes since the Unix epoch of a New York wall-clock time, via the IANA zone database. */
function newYorkMinute(year: number, month: number, day: number, hour: number, minute: number): number {
  const guess = Date.UTC(year, month - 1, day, hour, minute);
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: "America/New_York",
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  }).formatToParts(new Date(guess));
  const get = (type: string): number => Number(parts.find((part) => part.type === type)!.value);
  const shown = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"));
  const offset = shown - guess; // New York minus UTC: −4 h or −5 h (no session boundary sits in a DST gap)
  return (guess - offset) / 60_000;
}

const lines: string[] = [];
let sessions = 0;
for (let year = firstYear; year <= lastYear; year += 1) {
  const closed = holidays(year);
  const early = earlyCloses(year, closed);
  const row: number[] = [];
  for (let date = new Date(Date.UTC(year, 0, 1)); date.getUTCFullYear() === year; date = new Date(date.getTime() + 86_400_000)) {
    const month = date.getUTCMonth() + 1;
    const day = date.getUTCDate();
    const dow = date.getUTCDay();
    const name = key(year, month, day);
    if (dow === 0 || dow === 6 || closed.has(name)) continue;
    const open = newYorkMinute(year, month, day, 9, 30);
    const close = newYorkMinute(year, month, day, early.has(name) ? 13 : 16, 0);
    row.push(open, close - open);
    sessions += 1;
  }
  lines.push(`  // ${year}: ${row.length / 2} sessions; closed ${[...closed].sort().join(", ")}; early close ${[...early].sort().join(", ")}`);
  for (let index = 0; index < row.length; index += 16) lines.push(`  ${row.slice(index, index + 16).join(", ")},`);
}

const output = `// GENERATED by scripts/generate-nyse-calendar.ts — do not edit by hand; rerun the script.
// NYSE regular sessions ${firstYear}–${lastYear} (${sessions} sessions): pairs of (open, length), the open in minutes since
// the Unix epoch (UTC) and the length in minutes (390 for 09:30–16:00 New York, 210 for a 13:00 early close).
// Daylight saving is already applied: opens are 13:30 UTC in summer time and 14:30 UTC in winter time.

/**
 * The first and last calendar years the NYSE table covers.
 *
 * @example
 * nyseCalendarYears; // => { first: ${firstYear}, last: ${lastYear} }
 */
export const nyseCalendarYears = { first: ${firstYear}, last: ${lastYear} } as const;

/**
 * NYSE regular sessions as [open minute (UTC, since the epoch), length in minutes] pairs, ascending.
 *
 * @example
 * nyseSessionTable.length / 2; // the number of sessions
 */
export const nyseSessionTable: readonly number[] = [
${lines.join("\n")}
];
`;
writeFileSync(new URL("../packages/core/src/perp/nyse-calendar-data.ts", import.meta.url), output);
console.log(`wrote ${sessions} sessions`);
