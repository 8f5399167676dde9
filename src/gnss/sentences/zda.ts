import { dayMs, int, malformed, timeOfDay } from './fields.js';
import type { SentenceDecoder } from './types.js';

/** ZDA: time and a full date (day, month, four-digit year), local zone offset ignored. */
export const zda: SentenceDecoder = {
  type: 'ZDA',
  minFields: 5,
  decode(f) {
    const tod = timeOfDay(f[1]);
    const d = int(f[2], 'day');
    const m = int(f[3], 'month');
    const y = int(f[4], 'year');
    if (d === null || m === null || y === null) {
      if (d !== null || m !== null || y !== null) malformed('date', f.slice(2, 5).join(','));
      return { tod, day: null };
    }
    if (f[4]!.length !== 4) malformed('year', f[4]!);
    return { tod, day: dayMs(y, m, d, f.slice(2, 5).join(',')) };
  },
};
