import { noProbe, fail, pass, skip, warn, type Check } from '../check.js';

const FIX_SKY = 'give the antenna a clear view of the sky (roof, not under metal); a cold start can take a few minutes outdoors';

/** Fix state and satellites of the receiver. */
export const gnssFixCheck: Check = {
  id: 'gnss-fix',
  title: 'GNSS fix, satellites',
  timeoutMs: 8000,
  async run(ctx) {
    if (!ctx.probes.gnss) return noProbe(ctx, 'GNSS receiver');
    const s = await ctx.gnss().catch(() => null);
    if (!s || s.sentences === 0) return skip('no NMEA to judge (see the uart row)');
    const f = s.fix;
    if (!f || f.mode === 1) return fail(`no fix${f?.sats != null ? ` (${f.sats} satellites)` : ''}`, 'the receiver has no position', FIX_SKY);
    const what = `${f.mode === 3 ? '3D' : '2D'} fix, ${f.sats ?? '?'} satellites, HDOP ${f.hdop ?? '?'}`;
    if (f.mode === 2 || (f.sats !== null && f.sats < 4) || (f.hdop !== null && f.hdop > 5)) {
      return warn(what, 'a weak fix: positions may be off by tens of metres', FIX_SKY);
    }
    return pass(what);
  },
};
