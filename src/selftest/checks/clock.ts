import { existsSync } from 'node:fs';
import { fail, pass, skip, warn, type Check, type SelftestContext } from '../check.js';

/** systemd-timesyncd creates this file once the clock was synchronised. */
export const TIMESYNC_MARKER = '/run/systemd/timesync/synchronized';
/** A wall clock before this is unset (a Pi without RTC boots at its last shutdown time or 1970). */
const SANE_AFTER_MS = Date.UTC(2025, 0, 1);
export const CLOCK_OK_MS = 2000;
export const CLOCK_WARN_MS = 300_000;

const fmt = (ms: number): string => (Math.abs(ms) < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms / 1000)} s`);

async function gnssTime(ctx: SelftestContext): Promise<number | null> {
  try {
    const s = await ctx.gnss();
    if (!s?.fix || s.fixAtMono === null || s.fix.mode < 2) return null;
    // GNSS time now = fix time + how long ago (monotonic) the fix arrived.
    return s.fix.timeMs + (ctx.clock.now() - s.fixAtMono);
  } catch {
    return null; // the uart check reports why
  }
}

export function makeClockCheck(timesyncMarker = TIMESYNC_MARKER): Check {
  return {
    id: 'clock',
    title: 'system clock vs GNSS time',
    timeoutMs: 12_000,
    async run(ctx) {
      const wall = ctx.clock.wallNow();
      const fixClockWarn =
        'enable NTP (timedatectl set-ntp true) or let the agent run with a fix; records are stamped with GNSS time, but TLS certificate checks use the system clock';
      const gnss = await gnssTime(ctx);
      if (gnss !== null) {
        const off = wall - gnss;
        const summary = `system clock ${off >= 0 ? 'ahead of' : 'behind'} GNSS by ${fmt(Math.abs(off))}`;
        if (Math.abs(off) <= CLOCK_OK_MS) return pass(summary);
        if (Math.abs(off) <= CLOCK_WARN_MS) return warn(summary, `more than ${fmt(CLOCK_OK_MS)} off`, fixClockWarn);
        return fail(summary, `more than ${fmt(CLOCK_WARN_MS)} off: certificates may look not yet valid or expired`, fixClockWarn);
      }
      if (wall < SANE_AFTER_MS) {
        return fail(`system clock says ${new Date(wall).toISOString()}`, 'the clock is not set (no RTC, no NTP, no GNSS fix yet)', fixClockWarn);
      }
      if (existsSync(timesyncMarker)) return pass(`${new Date(wall).toISOString()}, NTP synchronised (no GNSS time to compare with)`);
      return skip(`no GNSS time to compare with and NTP not synchronised (${new Date(wall).toISOString()})`);
    },
  };
}

export const clockCheck = makeClockCheck();
