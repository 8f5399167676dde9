import { letter, modeIndicator, position, timeOfDay } from './fields.js';
import type { SentenceDecoder } from './types.js';

/**
 * GLL: position, time, status (A valid, V void) and (NMEA 2.3+) a mode indicator.
 * NMEA 1.5 GLL has neither time nor status: its position, of unknown validity, is not used.
 */
export const gll: SentenceDecoder = {
  type: 'GLL',
  minFields: 5,
  decode(f) {
    const pos = position(f, 1);
    const status = letter(f[6], 'AV', 'status');
    const mode = modeIndicator(f[7]);
    const noFix = status === 'V' || mode === 'N';
    const o = { pos: status === 'A' && !noFix ? pos : null, noFix, rank: 1 };
    return f.length > 5 ? { tod: timeOfDay(f[5]), ...o } : o;
  },
};
