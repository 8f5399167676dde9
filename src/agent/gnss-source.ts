import { dirname, isAbsolute, resolve } from 'node:path';
import type { Board } from '../hal/board.js';
import { linuxUart } from '../hal/linux/uart.js';
import { simReceiverUart } from '../gnss/sim/uart.js';
import type { Uart } from '../hal/uart.js';

/** Overrides of the sim board's UART from the command line (`run --nmea --speed`). */
export interface SimOverrides {
  capture?: string;
  speed?: number;
  rateHz?: number;
}

export function isSimUart(board: Board): boolean {
  return board.simulated || board.uart.path === 'sim';
}

/** The UART implementation a board asks for (transport table: real or simulated). */
export function uartFor(board: Board, sim: SimOverrides = {}): { uart: Uart; capture?: string } {
  if (!isSimUart(board)) return { uart: linuxUart };
  let capture = sim.capture;
  if (capture === undefined && board.uart.capture !== undefined) {
    capture = isAbsolute(board.uart.capture) ? board.uart.capture : resolve(dirname(board.file), board.uart.capture);
  }
  return { uart: simReceiverUart({ capture, speed: sim.speed ?? board.uart.speed, rateHz: sim.rateHz ?? board.uart.rateHz }), capture };
}
