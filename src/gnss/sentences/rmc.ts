import { letter, modeIndicator, num, position, rmcDate, timeOfDay } from './fields.js';
import { KNOT_MS, roundSpeed, type SentenceDecoder } from './types.js';

/**
 * RMC: time, status (A valid, V void), position, speed (knots), course, date ddmmyy,
 * magnetic variation, and (NMEA 2.3+) a mode indicator. Void or mode N = no fix.
 */
export const rmc: SentenceDecoder = {
  type: 'RMC',
  minFields: 10,
  decode(f) {
    const status = letter(f[2], 'AV', 'status');
    const mode = modeIndicator(f[12]);
    const kn = num(f[7], 'speed');
    return {
      tod: timeOfDay(f[1]),
      pos: position(f, 3),
      speed: roundSpeed(kn === null ? null : kn * KNOT_MS),
      course: num(f[8], 'course'),
      day: rmcDate(f[9]),
      noFix: status !== 'A' || mode === 'N',
      rank: 2,
    };
  },
};
