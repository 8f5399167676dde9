import { letter, modeIndicator, num } from './fields.js';
import { KNOT_MS, roundSpeed, type SentenceDecoder } from './types.js';

/**
 * VTG: course true, course magnetic, speed in knots and km/h (no time: joins the open
 * epoch). NMEA 2.x tags each value with a letter (T, M, N, K); the old 1.5 form has the
 * four bare values.
 */
export const vtg: SentenceDecoder = {
  type: 'VTG',
  minFields: 5,
  decode(f) {
    if (f[2] === 'T' || (f.length >= 9 && f[2] === '')) {
      letter(f[2], 'T', 'course unit');
      letter(f[6], 'N', 'speed unit');
      letter(f[8], 'K', 'speed unit');
      const mode = modeIndicator(f[9]);
      const kmh = num(f[7], 'speed km/h');
      const kn = num(f[5], 'speed knots');
      const speed = kmh !== null ? kmh / 3.6 : kn !== null ? kn * KNOT_MS : null;
      if (mode === 'N') return {};
      return { course: num(f[1], 'course'), speed: roundSpeed(speed) };
    }
    const kmh = num(f[4], 'speed km/h');
    return { course: num(f[1], 'course'), speed: roundSpeed(kmh === null ? null : kmh / 3.6) };
  },
};
