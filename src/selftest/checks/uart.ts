import { errorMessage } from '../../base/errors.js';
import { noProbe, ProbeError, fail, pass, type Check } from '../check.js';

/** Ready-made fixes for a receiver that opens but says nothing useful. */
const FIX_SILENT =
  'check the GNSS wiring (receiver TX to Pi RX, GPIO15, pin 10; common ground; 3.3 V/5 V power), the baud rate in the board file, and that config.txt has enable_uart=1 and dtoverlay=disable-bt and cmdline.txt has no console=serial0';

/** The UART opens and valid NMEA arrives. */
export const uartCheck: Check = {
  id: 'uart',
  title: 'GNSS UART, valid NMEA',
  timeoutMs: 8000,
  async run(ctx) {
    if (!ctx.probes.gnss) return noProbe(ctx, 'GNSS receiver');
    let s;
    try {
      s = await ctx.gnss();
    } catch (err) {
      const fix = err instanceof ProbeError ? err.fix : 'check the uart.path in the board file and that the service user is in the dialout group';
      return fail('cannot read the GNSS UART', errorMessage(err), fix);
    }
    if (!s) return noProbe(ctx, 'GNSS receiver');
    const seconds = (s.durationMs / 1000).toFixed(1);
    if (s.bytes === 0) return fail(`${s.device}: no bytes in ${seconds} s`, 'the receiver sends nothing', FIX_SILENT);
    if (s.sentences === 0) {
      return fail(`${s.device}: ${s.bytes} bytes but no valid NMEA (${s.bad} bad frames) in ${seconds} s`, 'wrong baud rate, or noise on the line', FIX_SILENT);
    }
    return pass(`${s.device}: ${s.sentences} valid sentences, ${s.bad} bad, in ${seconds} s`);
  },
};
