import type { Board } from './board.js';
import type { Can } from './can.js';
import type { Gpio } from './gpio.js';
import type { I2cBus } from './i2c.js';
import { LinuxCan } from './linux/can.js';
import { LinuxGpio } from './linux/gpio.js';
import { LinuxI2cBus } from './linux/i2c.js';

/** The real I2C bus a (non-simulated) board names, or null when it has none. */
export function openLinuxI2c(board: Board): I2cBus | null {
  return board.i2c ? new LinuxI2cBus(board.i2c.bus, board.i2c.timeoutMs) : null;
}

/** The real GPIO controller of a (non-simulated) board. Claims nothing yet. */
export function openLinuxGpio(board: Board): Gpio {
  return new LinuxGpio(board.gpio?.chipLabel);
}

/** The real SocketCAN buses (the addon loads at the first open). */
export function openLinuxCan(): Can {
  return new LinuxCan();
}
