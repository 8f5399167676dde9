import { SimUart, type SimUartOptions } from '../../hal/sim/uart.js';
import { NmeaGenerator } from './generator.js';

/**
 * The simulated board's GNSS receiver on its UART: a capture replayed, or without one
 * the NMEA route generator (seeded: the same drive for the same seed).
 */
export function simReceiverUart(opts: Omit<SimUartOptions, 'feed'> & { seed?: number } = {}): SimUart {
  const { seed, ...line } = opts;
  return new SimUart({ ...line, feed: ({ rateHz, startMs }) => new NmeaGenerator({ rateHz, startMs, seed }) });
}
