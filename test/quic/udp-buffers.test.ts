import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeFleet } from '../support/link-fixture.js';
import { startServerProcess } from '../support/server-proc.js';
import { applyUdpBuffers, resetUdpBufferWarning } from '../../src/quic/udp-buffers.js';
import { silentLogger } from '../../src/base/log.js';
import { availableEngines } from '../../src/quic/engines.js';

const sysctl = (name: string) => Number(readFileSync(`/proc/sys/net/core/${name}`, 'utf8'));
const MiB = 1024 * 1024;

/** The ingest server's UDP socket gets buffers big enough not to drop datagrams under load (best effort, capped by the kernel). */
describe('UDP socket buffers', () => {
  let sock: Socket;
  beforeAll(async () => {
    sock = createSocket('udp4');
    await new Promise<void>((res) => sock.bind(0, '127.0.0.1', () => res()));
  });
  afterAll(() => sock.close());

  const capture = () => {
    const warnings: string[] = [];
    const log = silentLogger();
    log.warn = ((...a: unknown[]) => void warnings.push(String(a.at(-1)))) as typeof log.warn;
    return { log, warnings };
  };

  it('a size within net.core.rmem_max is granted (Linux reports it doubled), nothing logged', () => {
    const want = Math.min(1 * MiB, sysctl('rmem_max'), sysctl('wmem_max'));
    const { log, warnings } = capture();
    resetUdpBufferWarning();
    const got = applyUdpBuffers(sock, want, log);
    expect(got.recv).toBe(2 * want);
    expect(got.send).toBe(2 * want);
    expect(warnings).toEqual([]);
  });

  it('above net.core.rmem_max the kernel caps it: warned once per process, naming the sysctl, never thrown', () => {
    const over = 2 * Math.max(sysctl('rmem_max'), sysctl('wmem_max'));
    const { log, warnings } = capture();
    resetUdpBufferWarning();
    const got = applyUdpBuffers(sock, over, log);
    expect(got.recv).toBe(2 * sysctl('rmem_max'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/receive buffer \d+ KiB, not \d+ KiB: the kernel caps it at net\.core\.rmem_max \(sysctl -w net\.core\.rmem_max=\d+\)/);
    applyUdpBuffers(sock, over, log);
    expect(warnings).toHaveLength(1);
  });

  it('0 leaves the kernel default', async () => {
    const fresh = createSocket('udp4');
    await new Promise<void>((res) => fresh.bind(0, '127.0.0.1', () => res()));
    try {
      expect(applyUdpBuffers(fresh, 0, silentLogger()).recv).toBe(sysctl('rmem_default'));
    } finally {
      fresh.close();
    }
  });

  it.each(availableEngines())('geostream server (engine %s) sets them on its socket by default (4 MiB) and --udp-buffer 0 keeps the kernel default', async (engine) => {
    const fleet = await makeFleet([], 'gs-udpbuf-');
    try {
      const expected = 2 * Math.min(4 * MiB, sysctl('rmem_max'));
      const big = await startServerProcess({ ca: fleet.ca, db: join(fleet.dir, 'a.db'), engine });
      const dflt = await startServerProcess({ ca: fleet.ca, db: join(fleet.dir, 'b.db'), engine, args: ['--udp-buffer', '0'] });
      await Promise.all([big.stop(), dflt.stop()]);
      expect(big.output()).toMatch(new RegExp(`UDP buffers receive ${expected / 1024} KiB`));
      if (sysctl('rmem_max') < 4 * MiB) expect(big.output()).toMatch(/net\.core\.rmem_max/);
      expect(dflt.output()).toMatch(new RegExp(`UDP buffers receive ${Math.round(sysctl('rmem_default') / 1024)} KiB`));
    } finally {
      fleet.cleanup();
    }
  }, 60_000);
});
