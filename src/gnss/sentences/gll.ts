import { letter, modeIndicator, position, timeOfDay } from './fields.js';
import type { SentenceDecoder } from './types.js';

/** GLL: position, time, status (A valid, V void) and (NMEA 2.3+) a mode indicator. */
export const gll: SentenceDecoder = {
  type: 'GLL',
  minFields: 7,
  decode(f) {
    const status = letter(f[6], 'AV', 'status');
    const mode = modeIndicator(f[7]);
    return { tod: timeOfDay(f[5]), pos: position(f, 1), noFix: status !== 'A' || mode === 'N', rank: 1 };
  },
};
