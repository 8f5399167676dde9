import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { SerialPort } from 'serialport';
import { errorCode, errorMessage } from '../../base/errors.js';
import { UartError, type Uart, type UartHandlers, type UartOpenOptions, type UartPort, type UartPortInfo } from '../uart.js';
import { envVar } from '../../base/env.js';

function hasUdevadm(): boolean {
  return (envVar('PATH') ?? '/usr/bin:/bin').split(delimiter).some((d) => d && existsSync(join(d, 'udevadm')));
}

/** Fallback listing from /dev when udevadm is missing (containers, minimal images). */
function listDev(): UartPortInfo[] {
  try {
    return readdirSync('/dev')
      .filter((n) => /^(serial\d|ttyAMA\d+|ttyS\d+|ttyUSB\d+|ttyACM\d+)$/.test(n))
      .sort()
      .map((n) => ({ path: `/dev/${n}` }));
  } catch {
    return [];
  }
}

/** bindings-cpp reports errno only as text ("Error: No such file or directory, cannot open ..."). */
const ERRNO_TEXT: [RegExp, string][] = [
  [/No such file or directory|ENOENT/, 'ENOENT'],
  [/Permission denied|EACCES/, 'EACCES'],
  [/resource busy|EBUSY|Cannot lock port/i, 'EBUSY'],
  [/Inappropriate ioctl|ENOTTY/, 'ENOTTY'],
  [/Input\/output error|EIO/, 'EIO'],
];

function errnoOf(err: unknown): string | undefined {
  const code = errorCode(err);
  if (code) return code;
  const msg = errorMessage(err);
  return ERRNO_TEXT.find(([re]) => re.test(msg))?.[1];
}

class LinuxPort implements UartPort {
  private dead = false;
  constructor(
    private readonly sp: SerialPort,
    readonly path: string,
    handlers: UartHandlers,
  ) {
    sp.on('data', (chunk: Buffer) => {
      if (!this.dead) handlers.data(chunk);
    });
    const fail = (err: UartError): void => {
      if (this.dead) return;
      this.dead = true;
      handlers.error(err);
    };
    sp.on('error', (err: Error) => fail(new UartError(errorMessage(err), path, errnoOf(err))));
    sp.on('close', (err?: Error & { disconnected?: boolean }) => {
      if (err) fail(new UartError(err.disconnected ? 'device disconnected' : errorMessage(err), path, errnoOf(err) ?? 'EIO'));
    });
  }
  get isOpen(): boolean {
    return this.sp.isOpen && !this.dead;
  }
  write(data: Uint8Array): Promise<void> {
    if (!this.isOpen) return Promise.reject(new UartError('port is closed', this.path, 'ECANCELED', true));
    return new Promise((resolve, reject) => {
      this.sp.write(Buffer.from(data), (err) => (err ? reject(new UartError(errorMessage(err), this.path, errnoOf(err))) : resolve()));
    });
  }
  close(): Promise<void> {
    this.dead = true;
    this.sp.removeAllListeners('data');
    if (!this.sp.isOpen) return Promise.resolve();
    return new Promise((resolve) => this.sp.close(() => resolve()));
  }
}

/** The real UART on Linux through serialport (bindings-cpp). */
export const linuxUart: Uart = {
  async list() {
    // serialport's Linux list() spawns udevadm; without it the spawn error escapes as an
    // unhandled 'error' event and kills the process. Look before calling.
    if (!hasUdevadm()) return listDev();
    try {
      const ports = await SerialPort.list();
      return ports.map((p) => ({ path: p.path, manufacturer: p.manufacturer, serialNumber: p.serialNumber, vendorId: p.vendorId, productId: p.productId }));
    } catch {
      return listDev();
    }
  },
  open(opts: UartOpenOptions, handlers: UartHandlers): Promise<UartPort> {
    return new Promise((resolve, reject) => {
      let sp: SerialPort;
      try {
        sp = new SerialPort({ path: opts.path, baudRate: opts.baudRate, autoOpen: false });
      } catch (err) {
        reject(new UartError(errorMessage(err), opts.path, errnoOf(err) ?? 'EINVAL'));
        return;
      }
      sp.open((err) => {
        if (err) {
          const code = errnoOf(err);
          reject(new UartError(code === 'ENOENT' ? 'no such device' : code === 'EACCES' ? 'permission denied (is the user in the dialout group?)' : errorMessage(err), opts.path, code));
          return;
        }
        resolve(new LinuxPort(sp, opts.path, handlers));
      });
    });
  },
};
