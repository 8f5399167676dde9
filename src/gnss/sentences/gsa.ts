import { int, letter, malformed, num } from './fields.js';
import type { SentenceDecoder } from './types.js';

/**
 * GSA: selection mode, fix type (1 none, 2 2D, 3 3D), up to 12 satellite ids, PDOP,
 * HDOP, VDOP (and a system id on NMEA 4.10; multi-constellation receivers send one per
 * system). Fix type 1 means no position.
 */
export const gsa: SentenceDecoder = {
  type: 'GSA',
  minFields: 18,
  decode(f) {
    letter(f[1], 'AM', 'selection mode');
    const t = int(f[2], 'fix type');
    if (t !== null && (t < 1 || t > 3)) malformed('fix type', f[2]!);
    for (let i = 3; i < 15; i++) int(f[i], 'satellite id');
    num(f[15], 'pdop');
    const hdop = num(f[16], 'hdop');
    num(f[17], 'vdop');
    if (t === null) return { hdop };
    return { fixType: t as 1 | 2 | 3, hdop };
  },
};
