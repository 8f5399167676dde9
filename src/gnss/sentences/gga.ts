import { int, letter, num, position, timeOfDay } from './fields.js';
import type { SentenceDecoder } from './types.js';

/** GGA: time, position, fix quality, satellites, HDOP, altitude (MSL). Quality 0 (or empty) = no fix. */
export const gga: SentenceDecoder = {
  type: 'GGA',
  minFields: 10,
  decode(f) {
    const quality = int(f[6], 'quality');
    letter(f[10], 'M', 'altitude unit');
    return {
      tod: timeOfDay(f[1]),
      pos: position(f, 2),
      quality,
      sats: int(f[7], 'satellites'),
      hdop: num(f[8], 'hdop'),
      alt: num(f[9], 'altitude'),
      noFix: quality === 0 || quality === null,
      rank: 4,
    };
  },
};
