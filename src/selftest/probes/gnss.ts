import type { Config } from '../../agent/config.js';
import type { Clock } from '../../base/clock.js';
import { errorMessage } from '../../base/errors.js';
import { NmeaDecoder } from '../../gnss/decoder.js';
import { FIRST_ROLLOVER, RELEASE_DATE } from '../../gnss/date.js';
import type { Fix } from '../../gnss/fix.js';
import { uartFor } from '../../agent/gnss-source.js';
import { UartError, type Uart, type UartPort } from '../../hal/uart.js';
import { ProbeError } from '../check.js';
import type { GnssProbe, GnssSample } from '../probe-types.js';

/** Close the open epoch after this much line silence (as the receiver does). */
const IDLE_FLUSH_MS = 150;

/** The serial ports the system has, for a technician whose uart.path names none. */
async function portsPresent(uart: Uart): Promise<string> {
  const ports = await uart.list().catch(() => []);
  return ports.length ? `serial ports present: ${ports.map((p) => p.path).join(', ')}` : 'no serial ports present';
}

const FIX_FOR: Record<string, string> = {
  ENOENT: 'no such device: check uart.path in the board file; /dev/serial0 needs enable_uart=1 in config.txt (make image sets it)',
  EACCES: 'permission denied: add the user to the dialout group (sudo usermod -aG dialout USER), or run scripts/selftest.sh',
  EBUSY: 'the UART is held by another process (the agent?): stop it first (scripts/selftest.sh does: sudo systemctl stop geostream)',
};

/**
 * Opens the board's UART (real or simulated, from the board file), reads NMEA through
 * the same decoder the agent uses until a position fix arrives or `durationMs` passes.
 */
export function gnssProbe(config: Config, clock: Clock): GnssProbe {
  return {
    async sample(durationMs, signal) {
      const board = config.boardInfo;
      const { uart, capture } = uartFor(board);
      const decoder = new NmeaDecoder(capture ? FIRST_ROLLOVER : RELEASE_DATE);
      const t0 = clock.now();
      let bytes = 0;
      let fix: Fix | null = null;
      let fixAtMono: number | null = null;
      let portError: UartError | undefined;
      let idle: NodeJS.Timeout | undefined;
      let wake: () => void = () => undefined;
      const onFix = (f: Fix): void => {
        if (fix === null || f.mode >= 2 || fix.mode < 2) {
          fix = f;
          fixAtMono = clock.now();
        }
        if (f.mode >= 2) wake();
      };
      let port: UartPort;
      try {
        port = await uart.open(
          { path: board.uart.path, baudRate: board.uart.baud },
          {
            data: (chunk) => {
              bytes += chunk.length;
              decoder.push(chunk, onFix);
              clearTimeout(idle);
              idle = setTimeout(() => decoder.flush(onFix), IDLE_FLUSH_MS);
            },
            error: (err) => {
              portError = err;
              wake();
            },
          },
        );
      } catch (err) {
        const code = err instanceof UartError ? err.code : undefined;
        const fix = FIX_FOR[code ?? ''] ?? 'check uart.path and baud in the board file';
        throw new ProbeError(errorMessage(err), code === 'ENOENT' ? `${fix}; ${await portsPresent(uart)}` : fix);
      }
      try {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.max(0, durationMs - (clock.now() - t0)));
          const abort = () => resolve();
          signal.addEventListener('abort', abort, { once: true });
          wake = () => {
            clearTimeout(timer);
            signal.removeEventListener('abort', abort);
            resolve();
          };
        });
      } finally {
        clearTimeout(idle);
        decoder.end(onFix);
        await port.close();
      }
      if (portError) throw new ProbeError(`${board.uart.path} failed while reading: ${portError.message}`, 'check the cable and the receiver power; a USB receiver may have been unplugged');
      const s = decoder.stats;
      const sample: GnssSample = {
        device: board.uart.path,
        durationMs: clock.now() - t0,
        bytes,
        sentences: decoder.goodFrames,
        bad: s.badChecksum + s.noChecksum + s.malformed + s.truncated + s.overlong,
        fix,
        fixAtMono,
      };
      return sample;
    },
  };
}
