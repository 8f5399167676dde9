/**
 * The UART as the GNSS code sees it (in the spirit of serialport's BindingInterface,
 * push-based so the reader needs no read loop). Implementations: `linux/uart.ts`
 * (serialport) and `sim/uart.ts` (capture replay or the NMEA route generator).
 *
 * Error contract:
 * - `open()` rejects with a UartError whose `code` is the errno (ENOENT: no such device,
 *   EACCES: not in the dialout group, EBUSY: held by another process). Nothing is open then.
 * - Once open, the port calls `handlers.error` at most once, with a UartError, when the
 *   device is gone or broken (EIO, read errors, an unexpected close). The port is then
 *   dead: the owner closes it and opens a new one (with backoff). No data is delivered
 *   after an error.
 * - Silence is not an error. An unplugged USB receiver or a killed pty peer often gives
 *   no event at all on Linux; owners must detect a dead receiver by its silence.
 * - `write()` on a closed or dead port rejects with `canceled: true`; `close()` is
 *   idempotent, never rejects, and after it resolves no handler is called again.
 */
export interface UartOpenOptions {
  /** Device path (`/dev/serial0`), or the simulated board's `sim`. */
  path: string;
  baudRate: number;
}

export interface UartPortInfo {
  path: string;
  manufacturer?: string;
  serialNumber?: string;
  vendorId?: string;
  productId?: string;
}

export interface UartHandlers {
  /** Bytes as they arrive, split anywhere (never across a close). */
  data(chunk: Buffer): void;
  /** The port died; see the error contract above. */
  error(err: UartError): void;
}

export interface UartPort {
  readonly path: string;
  readonly isOpen: boolean;
  write(data: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export interface Uart {
  /** Serial ports present (never throws for a missing helper tool: returns what it can). */
  list(): Promise<UartPortInfo[]>;
  open(opts: UartOpenOptions, handlers: UartHandlers): Promise<UartPort>;
}

export class UartError extends Error {
  override name = 'UartError';
  constructor(
    message: string,
    readonly path: string,
    readonly code?: string,
    /** The operation was cut short by close(), not by a device fault. */
    readonly canceled = false,
  ) {
    super(`${path}: ${message}`);
  }
}
