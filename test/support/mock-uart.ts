import { UartError, type Uart, type UartHandlers, type UartOpenOptions, type UartPort } from '../../src/hal/uart.js';

/**
 * A UART for tests: the test decides when opens fail, what bytes arrive and when the
 * device dies. Test-only controls live here, never on the Uart interface. Answers on
 * the next tick like a real binding.
 */
export class MockUart implements Uart {
  /** Every open() call, successful or not. */
  opens = 0;
  private failures: string[] = [];
  private current: { handlers: UartHandlers; port: MockPort } | undefined;

  list(): Promise<{ path: string }[]> {
    return Promise.resolve([{ path: '/dev/mock0' }]);
  }

  open(o: UartOpenOptions, handlers: UartHandlers): Promise<UartPort> {
    this.opens++;
    const code = this.failures.shift();
    return new Promise((resolve, reject) =>
      setImmediate(() => {
        if (code) return reject(new UartError(`open failed (${code})`, o.path, code));
        const port = new MockPort(o.path, () => {
          if (this.current?.port === port) this.current = undefined;
        });
        this.current = { handlers, port };
        resolve(port);
      }),
    );
  }

  /** The next `n` opens fail with errno `code`. */
  failNextOpens(n: number, code = 'ENOENT'): void {
    for (let i = 0; i < n; i++) this.failures.push(code);
  }

  get isOpen(): boolean {
    return this.current !== undefined;
  }

  /** Bytes from the "receiver" (dropped when no port is open, like a dead line). */
  inject(bytes: string | Uint8Array): void {
    const c = this.current;
    if (c) c.handlers.data(Buffer.from(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes));
  }

  /** The device dies with errno `code` (the port's error handler fires once). */
  breakPort(code = 'EIO'): void {
    const c = this.current;
    if (!c) return;
    this.current = undefined;
    c.port.dead = true;
    c.handlers.error(new UartError('device error', c.port.path, code));
  }
}

class MockPort implements UartPort {
  dead = false;
  private closed = false;
  constructor(
    readonly path: string,
    private readonly onClose: () => void,
  ) {}
  get isOpen(): boolean {
    return !this.closed && !this.dead;
  }
  write(): Promise<void> {
    return this.isOpen ? Promise.resolve() : Promise.reject(new UartError('port is closed', this.path, 'ECANCELED', true));
  }
  close(): Promise<void> {
    this.closed = true;
    this.onClose();
    return Promise.resolve();
  }
}
