import { int, malformed } from './fields.js';
import type { SentenceDecoder } from './types.js';

/**
 * GSV: satellites in view, four per sentence (id, elevation, azimuth, SNR), plus a
 * signal id on NMEA 4.10. Validated but not part of a fix: it carries no time or position.
 */
export const gsv: SentenceDecoder = {
  type: 'GSV',
  minFields: 4,
  decode(f) {
    const total = int(f[1], 'message count');
    const index = int(f[2], 'message number');
    int(f[3], 'satellites in view');
    if (total === null || index === null || index < 1 || index > total) malformed('message number', `${f[2]}/${f[1]}`);
    const rest = f.length - 4;
    if (rest % 4 > 1) malformed('satellite groups', f.slice(4).join(','));
    for (let i = 4; i + 3 < f.length; i += 4) {
      int(f[i], 'satellite id');
      const el = int(f[i + 1], 'elevation');
      const az = int(f[i + 2], 'azimuth');
      const snr = int(f[i + 3], 'snr');
      if ((el !== null && el > 90) || (az !== null && az > 359) || (snr !== null && snr > 99)) malformed('satellite', f.slice(i, i + 4).join(','));
    }
    return {};
  },
};
