/**
 * Receiver dates that cannot be right, and what we do about them.
 *
 * 1. Power-up placeholders. Before it has decoded a GPS time, a receiver's RTC starts
 *    at a firmware default, typically in the first weeks of the GPS epoch (MediaTek
 *    MTK-3301 sends void RMCs dated 05-01-1980 and 12-01-1980 in the gpsd capture). Any
 *    date before 1981 is such a placeholder: the epoch has no date and yields no fix
 *    (its time of day alone cannot be placed in history).
 *
 * 2. GPS week rollover. The legacy navigation message counts weeks in 10 bits, so the
 *    count wraps every 1024 weeks (19.6 years: 1999-08-22, 2019-04-07, 2038-11-21).
 *    Firmware resolves the ambiguity against a date compiled into it; once that window
 *    is passed it reports a date exactly 1024 weeks too early (the GP-320FW capture
 *    shows 22-08-1999 after the 2019 rollover). We do the same with our own pivot: a
 *    date before `notBeforeMs` gets whole 1024-week periods added until it is not. The
 *    agent's pivot is this software's release date (a receiver cannot be behind it);
 *    `geostream nmea` defaults to the first rollover, 1999-08-22, so historical
 *    captures keep their dates (use --not-before to correct an old capture).
 */
export const DAY_MS = 86_400_000;
export const GPS_ROLLOVER_MS = 1024 * 7 * DAY_MS;
const PLACEHOLDER_BEFORE = Date.UTC(1981, 0, 1);

/** The first GPS week rollover: the default pivot for decoding historical captures. */
export const FIRST_ROLLOVER = Date.UTC(1999, 7, 22);
/** The agent's pivot: no live receiver date can be earlier than this release. */
export const RELEASE_DATE = Date.UTC(2026, 10, 1);

/** The date to use (ms at UTC midnight), or null for a power-up placeholder. */
export function plausibleDay(day: number, notBeforeMs: number): number | null {
  if (day < PLACEHOLDER_BEFORE) return null;
  let d = day;
  for (let i = 0; i < 4 && d + DAY_MS <= notBeforeMs; i++) d += GPS_ROLLOVER_MS;
  return d;
}
