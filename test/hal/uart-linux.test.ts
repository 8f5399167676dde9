import { describe, expect, it } from 'vitest';
import { linuxUart } from '../../src/hal/linux/uart.js';
import { UartError } from '../../src/hal/uart.js';

describe('serialport UART (Linux)', () => {
  it('lists ports without crashing the process when udevadm is missing', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const ports = await linuxUart.list();
      expect(Array.isArray(ports)).toBe(true);
      for (const p of ports) expect(p.path).toMatch(/^\/dev\//);
    } finally {
      process.env.PATH = path;
    }
  });

  it('rejects opening a missing device with a UartError carrying ENOENT and the path', async () => {
    const err = await linuxUart.open({ path: '/dev/gnss-test-missing', baudRate: 9600 }, { data: () => {}, error: () => {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UartError);
    expect(err).toMatchObject({ code: 'ENOENT', path: '/dev/gnss-test-missing' });
    expect((err as Error).message).toBe('/dev/gnss-test-missing: no such device');
  });
});
